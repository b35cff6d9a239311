using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Q4_0 weights (and INT4 g32, the same layout) on AVX-512, with 16 weight rows side by side in
/// each 512-bit vector. It serves decode (GEMV) and prefill (GEMM) alike.
/// <para>
/// <b>Layout.</b> On its first matrix product the tensor is repacked once (<see cref="Repack"/>), at exactly the size of
/// Q4_0. For each tile of 16 rows and each block of 32 weights there are 288 bytes:
/// <list type="bullet">
/// <item>4 vectors of packed levels: dword r of vector m holds bytes 4m..4m+3 of row r's Q4_0
/// nibbles. Their low nibbles are weights 4m..4m+3, their high nibbles weights 16+4m..16+4m+3.</item>
/// <item>The 16 rows' fp16 scales.</item>
/// </list>
/// Rows past the tensor's end are zero. The file's own bytes are then no longer read, and a
/// file-backed source is evicted (<see cref="Tensors.IEvictableMemory"/>), so the weights stay
/// resident once.
/// </para>
/// <para>
/// <b>Arithmetic.</b> Per block, masks and GFNI byte shifts turn the 4 packed vectors into 8 vectors of levels
/// q ∈ [0, 15]. Against one activation row:
/// <list type="bullet">
/// <item>Eight vpmaddubsw run with 4-byte broadcasts of the int8 activations. Their int16 sums
/// stay exact (8 · 2 · 15 · 128 &lt; 2^15).</item>
/// <item>One vpmaddwd adds them into int32, one per row. Subtracting 8 · Σy (kept with the
/// quantized activations) turns the levels into q − 8.</item>
/// <item>The block's exact integer dot product is converted to float once and accumulated with
/// scale d_row · d_y.</item>
/// </list>
/// That is about 20 operations per 512 multiply-adds, with no cross-lane reduction at the end. The
/// 4-row kernel of <see cref="QuantMatMul"/> needs about 6 per 64.
/// </para>
/// <para>
/// Every (row, activation row) output is computed by the same operations, whether 1 or 8 activation
/// rows are in flight, and whatever the thread count. Prefill rows therefore equal decode rows bit
/// for bit.
/// </para>
/// </summary>
internal readonly unsafe struct Q4_0Interleaved : IInterleavedKernel
{
    /// <summary>Bytes of one block of a tile: 4 packed-level vectors and 16 fp16 scales (= 16 × 18).</summary>
    public static int TileBlockBytes => 4 * 64 + 2 * InterleavedTile.Rows;

    /// <summary>Repacks a Q4_0-layout tensor (row stride <paramref name="rowBytes"/>) into <paramref name="packed"/>.</summary>
    public static void Repack(byte* source, int rows, int rowBytes, int blocks, byte* packed) =>
        InterleavedTile.Repack(source, rows, rowBytes, blocks, packed, 16, 0u);

    /// <inheritdoc cref="IInterleavedKernel.Tile{TA}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the row tables are filled before they are read
    public static void Tile<TA>(byte* run, int blocks, int first, int count, byte* act, int actStride, int pairs,
        float* carry, byte* next, float* y, int yStride, int valid)
        where TA : struct, IConst
    {
        var ones = Vector512.Create((short)1);
        var low = Vector512.Create((byte)0x0F);
        var highNibble = InterleavedTile.HighNibbleMatrix;
        InterleavedTile.Resume<TA>(first > 0, carry, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        var rows = stackalloc ActivationRow[InterleavedTile.MaxActivationRows];
        InterleavedTile.ActivationTable(act, actStride, pairs, TA.Value, rows);
        var row0 = rows[0]; // in registers: a decode GEMV reloaded it from the table every block
        int tileBlockBytes = TileBlockBytes;
        byte* tile = run;
        byte* runEnd = run + (long)count * tileBlockBytes;
        for (int b = first; b < first + count; b++, tile += tileBlockBytes)
        {
            InterleavedTile.PrefetchAhead(tile, tileBlockBytes, runEnd, next);
            var p0 = Vector512.Load(tile);
            var p1 = Vector512.Load(tile + 64);
            var p2 = Vector512.Load(tile + 128);
            var p3 = Vector512.Load(tile + 192);
            var w0 = p0 & low;
            var w1 = p1 & low;
            var w2 = p2 & low;
            var w3 = p3 & low;
            var w4 = Gfni.V512.GaloisFieldAffineTransform(p0, highNibble, 0);
            var w5 = Gfni.V512.GaloisFieldAffineTransform(p1, highNibble, 0);
            var w6 = Gfni.V512.GaloisFieldAffineTransform(p2, highNibble, 0);
            var w7 = Gfni.V512.GaloisFieldAffineTransform(p3, highNibble, 0);
            var d = HalfBits.ToSingle(Vector512.WidenLower(Vector256.Load((ushort*)(tile + 256)).ToVector512Unsafe()));
            int o = b * 32;
            c0 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, row0.Q + o, row0.S[b], row0.M[b], ones, c0);
            if (TA.Value > 1) c1 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[1].Q + o, rows[1].S[b], rows[1].M[b], ones, c1);
            if (TA.Value > 2) c2 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[2].Q + o, rows[2].S[b], rows[2].M[b], ones, c2);
            if (TA.Value > 3) c3 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[3].Q + o, rows[3].S[b], rows[3].M[b], ones, c3);
            if (TA.Value > 4) c4 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[4].Q + o, rows[4].S[b], rows[4].M[b], ones, c4);
            if (TA.Value > 5) c5 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[5].Q + o, rows[5].S[b], rows[5].M[b], ones, c5);
            if (TA.Value > 6) c6 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[6].Q + o, rows[6].S[b], rows[6].M[b], ones, c6);
            if (TA.Value > 7) c7 = Block(w0, w1, w2, w3, w4, w5, w6, w7, d, rows[7].Q + o, rows[7].S[b], rows[7].M[b], ones, c7);
        }
        InterleavedTile.Finish<TA>(first + count == blocks, carry, c0, c1, c2, c3, c4, c5, c6, c7, y, yStride, valid);
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
}
