using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Prefill GEMM for Q4_0 weights on AVX-512 (and INT4 g32, the same layout), with 16 weight rows per 512-bit vector.
/// <para>
/// A tile of 16 weight rows is first unpacked into the worker's scratch, block by block. Each
/// block holds 8 vectors: vector j carries, in dword r, the 4 levels q ∈ [0, 15] of weights
/// 4j..4j+3 of row r. The 16 rows' scales d, as float32, follow. One activation block then meets
/// all 16 rows at once:
/// <list type="bullet">
/// <item>Eight vpmaddubsw run against 4-byte broadcasts of the activations. Their int16 sums stay
/// exact: 8 · 2 · 15 · 127 &lt; 2^15.</item>
/// <item>One vpmaddwd adds them into int32, one per row. Subtracting 8 · Σy (kept with the
/// quantized activations) turns the levels into q − 8.</item>
/// <item>The block's exact integer dot product is converted to float once, and accumulated with
/// scale d_row · d_y.</item>
/// </list>
/// </para>
/// <para>
/// That is about 20 vector operations per 512 multiply-adds. The 4-row kernel of
/// <see cref="QuantMatMul"/> needs about 6 per 64: it broadcasts a scale and converts a partial
/// sum per row, then reduces across lanes at the end. Both kernels compute each block's integer dot
/// product exactly and round only the float scaling and accumulation. A prefill row and the same row
/// decoded alone (the GEMV kernel) therefore agree to float32 rounding, not bit for bit. Any given
/// kernel still gives the same bits for every thread count.
/// </para>
/// </summary>
internal static unsafe class Q4_0InterleavedGemm
{
    /// <summary>Weight rows per tile.</summary>
    public const int TileRows = 16;

    private const int BlockBytes = 18;

    /// <summary>Unpacked bytes per block of a tile: 8 level vectors and the 16 scales.</summary>
    public const int UnpackedBlockBytes = 9 * 64;

    /// <summary>
    /// Unpacks rows <paramref name="rows"/>[0..<paramref name="valid"/>) (row stride
    /// <paramref name="rowBytes"/>) into <paramref name="tile"/>. Rows past <paramref name="valid"/>
    /// repeat row 0, and their outputs are never stored. Reads only each block's own 18 bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // both buffers are written in full before they are read
    public static void Unpack(byte* rows, int rowBytes, int valid, int blocks, byte* tile)
    {
        var low = Vector512.Create((byte)0x0F);
        // Dword r of level vector j (j < 4: low nibbles, j ≥ 4: high) comes from dword
        // 4 (r mod 4) + (j mod 4) of group r / 4, where group g holds rows 4g..4g+3 in its 128-bit lanes.
        var pick = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
        var upper = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1);
        int* scaleWords = stackalloc int[TileRows];
        byte** row = stackalloc byte*[TileRows];
        for (int r = 0; r < TileRows; r++)
        {
            row[r] = rows + (long)(r < valid ? r : 0) * rowBytes;
        }
        for (int b = 0; b < blocks; b++)
        {
            long at = (long)b * BlockBytes;
            Vector512<byte> g0 = Group(row, 0, at), g1 = Group(row, 4, at), g2 = Group(row, 8, at), g3 = Group(row, 12, at);
            byte* output = tile + (long)b * UnpackedBlockBytes;
            for (int half = 0; half < 2; half++)
            {
                Vector512<int> l0, l1, l2, l3;
                if (half == 0)
                {
                    (l0, l1, l2, l3) = ((g0 & low).AsInt32(), (g1 & low).AsInt32(), (g2 & low).AsInt32(), (g3 & low).AsInt32());
                }
                else
                {
                    (l0, l1, l2, l3) = (((g0.AsUInt16() >>> 4).AsByte() & low).AsInt32(), ((g1.AsUInt16() >>> 4).AsByte() & low).AsInt32(),
                        ((g2.AsUInt16() >>> 4).AsByte() & low).AsInt32(), ((g3.AsUInt16() >>> 4).AsByte() & low).AsInt32());
                }
                for (int j = 0; j < 4; j++)
                {
                    var index = pick + Vector512.Create(j);
                    // Rows 0-7 from groups 0 and 1, rows 8-15 from groups 2 and 3.
                    var rows01 = Avx512F.PermuteVar16x32x2(l0, index, l1);
                    var rows23 = Avx512F.PermuteVar16x32x2(l2, index, l3);
                    Vector512.ConditionalSelect(upper, rows23, rows01).Store((int*)(output + (half * 4 + j) * 64));
                }
            }
            for (int r = 0; r < TileRows; r++)
            {
                scaleWords[r] = *(ushort*)(row[r] + at);
            }
            HalfBits.ToSingle(Vector512.Load((uint*)scaleWords)).Store((float*)(output + 8 * 64));
        }
    }

    /// <summary>The 16 level bytes of block <paramref name="at"/> of rows first..first+3, one row per 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Group(byte** row, int first, long at) => Vector512.Create(
        Vector256.Create(Vector128.Load(row[first] + at + 2), Vector128.Load(row[first + 1] + at + 2)),
        Vector256.Create(Vector128.Load(row[first + 2] + at + 2), Vector128.Load(row[first + 3] + at + 2)));

    /// <summary>
    /// An unpacked tile against <typeparamref name="TA"/> (1 to 4) quantized activation rows:
    /// y[a * yStride + r] for r &lt; <paramref name="valid"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Micro<TA>(byte* tile, int blocks, byte* act, int actStride, int pairs, float* y, int yStride, int valid)
        where TA : struct, IConst
    {
        var ones = Vector512.Create((short)1);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        sbyte* q0 = (sbyte*)act, q1 = (sbyte*)(act + actStride), q2 = (sbyte*)(act + 2 * actStride), q3 = (sbyte*)(act + 3 * actStride);
        float* s0 = QuantizedActivations.Scales(act, pairs);
        float* s1 = QuantizedActivations.Scales(act + actStride, pairs);
        float* s2 = QuantizedActivations.Scales(act + 2 * actStride, pairs);
        float* s3 = QuantizedActivations.Scales(act + 3 * actStride, pairs);
        int* m0 = QuantizedActivations.Sums(act, pairs);
        int* m1 = QuantizedActivations.Sums(act + actStride, pairs);
        int* m2 = QuantizedActivations.Sums(act + 2 * actStride, pairs);
        int* m3 = QuantizedActivations.Sums(act + 3 * actStride, pairs);
        for (int b = 0; b < blocks; b++, tile += UnpackedBlockBytes)
        {
            var w0 = Vector512.Load(tile);
            var w1 = Vector512.Load(tile + 64);
            var w2 = Vector512.Load(tile + 128);
            var w3 = Vector512.Load(tile + 192);
            var w4 = Vector512.Load(tile + 256);
            var w5 = Vector512.Load(tile + 320);
            var w6 = Vector512.Load(tile + 384);
            var w7 = Vector512.Load(tile + 448);
            var d = Vector512.Load((float*)(tile + 512));
            int o = b * 32;
            c0 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, q0 + o, s0[b], m0[b], ones, c0);
            if (TA.Value > 1) c1 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, q1 + o, s1[b], m1[b], ones, c1);
            if (TA.Value > 2) c2 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, q2 + o, s2[b], m2[b], ones, c2);
            if (TA.Value > 3) c3 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, q3 + o, s3[b], m3[b], ones, c3);
        }
        Store(c0, y, valid);
        if (TA.Value > 1) Store(c1, y + yStride, valid);
        if (TA.Value > 2) Store(c2, y + 2 * yStride, valid);
        if (TA.Value > 3) Store(c3, y + 3 * yStride, valid);
    }

    /// <summary>acc + (Σ (q − 8) y over the block, per row) · d_row · d_y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<byte> w4, Vector512<byte> w5, Vector512<byte> w6, Vector512<byte> w7, Vector512<float> d,
        sbyte* q, float scale, int sum, Vector512<short> ones, Vector512<float> acc)
    {
        var pairs = Avx512BW.MultiplyAddAdjacent(w0, Vector512.Create(*(int*)q).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w1, Vector512.Create(*(int*)(q + 4)).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w2, Vector512.Create(*(int*)(q + 8)).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w3, Vector512.Create(*(int*)(q + 12)).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w4, Vector512.Create(*(int*)(q + 16)).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w5, Vector512.Create(*(int*)(q + 20)).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w6, Vector512.Create(*(int*)(q + 24)).AsSByte());
        pairs += Avx512BW.MultiplyAddAdjacent(w7, Vector512.Create(*(int*)(q + 28)).AsSByte());
        var dot = Avx512BW.MultiplyAddAdjacent(pairs, ones) - Vector512.Create(8 * sum);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), d * Vector512.Create(scale), acc);
    }

    [SkipLocalsInit] // the lanes are stored before they are read
    private static void Store(Vector512<float> c, float* y, int valid)
    {
        if (valid == TileRows)
        {
            c.Store(y);
            return;
        }
        float* lanes = stackalloc float[TileRows];
        c.Store(lanes);
        for (int r = 0; r < valid; r++)
        {
            y[r] = lanes[r];
        }
    }
}
