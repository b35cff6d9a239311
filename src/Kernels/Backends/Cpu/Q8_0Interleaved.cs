using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Q8_0 weights (and INT8 g32, the same layout) on AVX-512, with 16 weight rows side by side in
/// each 512-bit vector, for decode (GEMV) and prefill (GEMM) alike. <typeparamref name="TV"/> picks
/// the integer dot product: 1 for AVX-VNNI's vpdpbusd (256-bit, <see cref="CpuKernelLevel.Avx512Vnni"/>),
/// 0 for vpmaddubsw on split levels (<see cref="CpuKernelLevel.Avx512"/>). Both are exact, so both
/// give the same bits.
/// <para>
/// <b>Layout.</b> On its first matrix product the tensor is repacked once (<see cref="Repack"/>), at exactly the size of
/// Q8_0. For each tile of 16 rows and each block of 32 weights there are 544 bytes:
/// <list type="bullet">
/// <item>8 vectors of levels: dword r of vector m holds weights 4m..4m+3 of row r, each stored as
/// u = s + 128 (s the signed Q8_0 level), so that it can be the unsigned operand of vpdpbusd and
/// vpmaddubsw.</item>
/// <item>The 16 rows' fp16 scales.</item>
/// </list>
/// Rows past the tensor's end are zero (scale 0). The file's own bytes are then no longer read, and a
/// file-backed source is evicted (<see cref="Tensors.IEvictableMemory"/>).
/// </para>
/// <para>
/// <b>Arithmetic.</b> Per block and activation row, Σ u·y is exact in int32, and subtracting
/// 128 · Σy (kept with the quantized activations) gives Σ s·y.
/// <list type="bullet">
/// <item>VNNI: 16 vpdpbusd (each half of a vector against a 4-byte broadcast of y), in four
/// independent chains.</item>
/// <item>Without VNNI, u = 16h + l with h, l ∈ [0, 15]: vpmaddubsw of h and of l against y give
/// int16 pair sums of at most 2 · 15 · 127, so eight of them add up exactly (30 480 &lt; 2^15); one
/// vpmaddwd each (by 16 and by 1) takes them to int32.</item>
/// </list>
/// The block's dot product is converted to float once and accumulated with scale d_row · d_y,
/// as in <see cref="Q4_0Interleaved"/>. The unrepacked kernel of <see cref="QuantMatMul"/> needs
/// about 12 operations per 64 multiply-adds and reads 4 rows as 4 separate streams.
/// </para>
/// </summary>
internal readonly unsafe struct Q8_0Interleaved<TV> : IInterleavedKernel where TV : struct, IConst
{
    /// <summary>Bytes of one block of a tile: 8 level vectors and 16 fp16 scales (= 16 × 34).</summary>
    public static int TileBlockBytes => 8 * 64 + 2 * InterleavedTile.Rows;

    /// <summary>Repacks a Q8_0-layout tensor (row stride <paramref name="rowBytes"/>) into <paramref name="packed"/> (levels stored as s + 128).</summary>
    public static void Repack(byte* source, int rows, int rowBytes, int blocks, byte* packed) =>
        InterleavedTile.Repack(source, rows, rowBytes, blocks, packed, 32, 0x80808080u);

    /// <inheritdoc cref="IInterleavedKernel.Tile{TA}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the row tables are filled before they are read
    public static void Tile<TA>(byte* run, int blocks, int first, int count, byte* act, int actStride, int pairs,
        float* carry, byte* next, float* y, int yStride, int valid)
        where TA : struct, IConst
    {
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
            var d = HalfBits.ToSingle(Vector512.WidenLower(Vector256.Load((ushort*)(tile + 512)).ToVector512Unsafe()));
            int o = b * 32;
            if (TV.Value == 1)
            {
                c0 = BlockVnni(tile, d, row0.Q + o, row0.S[b], row0.M[b], c0);
                if (TA.Value > 1) c1 = BlockVnni(tile, d, rows[1].Q + o, rows[1].S[b], rows[1].M[b], c1);
                if (TA.Value > 2) c2 = BlockVnni(tile, d, rows[2].Q + o, rows[2].S[b], rows[2].M[b], c2);
                if (TA.Value > 3) c3 = BlockVnni(tile, d, rows[3].Q + o, rows[3].S[b], rows[3].M[b], c3);
                if (TA.Value > 4) c4 = BlockVnni(tile, d, rows[4].Q + o, rows[4].S[b], rows[4].M[b], c4);
                if (TA.Value > 5) c5 = BlockVnni(tile, d, rows[5].Q + o, rows[5].S[b], rows[5].M[b], c5);
                if (TA.Value > 6) c6 = BlockVnni(tile, d, rows[6].Q + o, rows[6].S[b], rows[6].M[b], c6);
                if (TA.Value > 7) c7 = BlockVnni(tile, d, rows[7].Q + o, rows[7].S[b], rows[7].M[b], c7);
            }
            else
            {
                var w = new SplitLevels(tile, low, highNibble);
                c0 = BlockSplit(w, d, row0.Q + o, row0.S[b], row0.M[b], c0);
                if (TA.Value > 1) c1 = BlockSplit(w, d, rows[1].Q + o, rows[1].S[b], rows[1].M[b], c1);
                if (TA.Value > 2) c2 = BlockSplit(w, d, rows[2].Q + o, rows[2].S[b], rows[2].M[b], c2);
                if (TA.Value > 3) c3 = BlockSplit(w, d, rows[3].Q + o, rows[3].S[b], rows[3].M[b], c3);
                if (TA.Value > 4) c4 = BlockSplit(w, d, rows[4].Q + o, rows[4].S[b], rows[4].M[b], c4);
                if (TA.Value > 5) c5 = BlockSplit(w, d, rows[5].Q + o, rows[5].S[b], rows[5].M[b], c5);
                if (TA.Value > 6) c6 = BlockSplit(w, d, rows[6].Q + o, rows[6].S[b], rows[6].M[b], c6);
                if (TA.Value > 7) c7 = BlockSplit(w, d, rows[7].Q + o, rows[7].S[b], rows[7].M[b], c7);
            }
        }
        InterleavedTile.Finish<TA>(first + count == blocks, carry, c0, c1, c2, c3, c4, c5, c6, c7, y, yStride, valid);
    }

    /// <summary>A block's 8 level vectors split into high nibbles H<i>m</i> and low nibbles L<i>m</i>.</summary>
    private readonly struct SplitLevels
    {
        public readonly Vector512<byte> L0, L1, L2, L3, L4, L5, L6, L7, H0, H1, H2, H3, H4, H5, H6, H7;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public SplitLevels(byte* tile, Vector512<byte> low, Vector512<byte> highNibble)
        {
            var p0 = Vector512.Load(tile);
            var p1 = Vector512.Load(tile + 64);
            var p2 = Vector512.Load(tile + 128);
            var p3 = Vector512.Load(tile + 192);
            var p4 = Vector512.Load(tile + 256);
            var p5 = Vector512.Load(tile + 320);
            var p6 = Vector512.Load(tile + 384);
            var p7 = Vector512.Load(tile + 448);
            L0 = p0 & low; H0 = Gfni.V512.GaloisFieldAffineTransform(p0, highNibble, 0);
            L1 = p1 & low; H1 = Gfni.V512.GaloisFieldAffineTransform(p1, highNibble, 0);
            L2 = p2 & low; H2 = Gfni.V512.GaloisFieldAffineTransform(p2, highNibble, 0);
            L3 = p3 & low; H3 = Gfni.V512.GaloisFieldAffineTransform(p3, highNibble, 0);
            L4 = p4 & low; H4 = Gfni.V512.GaloisFieldAffineTransform(p4, highNibble, 0);
            L5 = p5 & low; H5 = Gfni.V512.GaloisFieldAffineTransform(p5, highNibble, 0);
            L6 = p6 & low; H6 = Gfni.V512.GaloisFieldAffineTransform(p6, highNibble, 0);
            L7 = p7 & low; H7 = Gfni.V512.GaloisFieldAffineTransform(p7, highNibble, 0);
        }
    }

    /// <summary>
    /// acc + (Σ s y over the block, per row) · d_row · d_y, with vpdpbusd. The levels are loaded here,
    /// per activation row, from L1: the VEX form takes no broadcast operand, so the loads are what
    /// would otherwise be register pressure (16 level halves + 8 broadcasts + accumulators).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlockVnni(byte* w, Vector512<float> d, sbyte* q, float scale, int sum, Vector512<float> acc)
    {
        var y0 = Vector256.Create(*(int*)q).AsSByte();
        var y1 = Vector256.Create(*(int*)(q + 4)).AsSByte();
        var lo0 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Load(w), y0);
        var hi0 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Load(w + 32), y0);
        var lo1 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Load(w + 64), y1);
        var hi1 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Load(w + 96), y1);
        for (int m = 2; m < 8; m += 2)
        {
            var ya = Vector256.Create(*(int*)(q + 4 * m)).AsSByte();
            var yb = Vector256.Create(*(int*)(q + 4 * m + 4)).AsSByte();
            lo0 = AvxVnni.MultiplyWideningAndAdd(lo0, Vector256.Load(w + 64 * m), ya);
            hi0 = AvxVnni.MultiplyWideningAndAdd(hi0, Vector256.Load(w + 64 * m + 32), ya);
            lo1 = AvxVnni.MultiplyWideningAndAdd(lo1, Vector256.Load(w + 64 * m + 64), yb);
            hi1 = AvxVnni.MultiplyWideningAndAdd(hi1, Vector256.Load(w + 64 * m + 96), yb);
        }
        var dot = (lo0 + lo1).ToVector512Unsafe().WithUpper(hi0 + hi1) - Vector512.Create(128 * sum);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), d * Vector512.Create(scale), acc);
    }

    /// <summary>acc + (Σ s y over the block, per row) · d_row · d_y, with vpmaddubsw on nibbles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlockSplit(in SplitLevels w, Vector512<float> d, sbyte* q, float scale, int sum, Vector512<float> acc)
    {
        var y0 = Vector512.Create(*(int*)q).AsSByte();
        var y1 = Vector512.Create(*(int*)(q + 4)).AsSByte();
        var y2 = Vector512.Create(*(int*)(q + 8)).AsSByte();
        var y3 = Vector512.Create(*(int*)(q + 12)).AsSByte();
        var y4 = Vector512.Create(*(int*)(q + 16)).AsSByte();
        var y5 = Vector512.Create(*(int*)(q + 20)).AsSByte();
        var y6 = Vector512.Create(*(int*)(q + 24)).AsSByte();
        var y7 = Vector512.Create(*(int*)(q + 28)).AsSByte();
        var high = Avx512BW.MultiplyAddAdjacent(w.H0, y0) + Avx512BW.MultiplyAddAdjacent(w.H1, y1)
            + Avx512BW.MultiplyAddAdjacent(w.H2, y2) + Avx512BW.MultiplyAddAdjacent(w.H3, y3)
            + Avx512BW.MultiplyAddAdjacent(w.H4, y4) + Avx512BW.MultiplyAddAdjacent(w.H5, y5)
            + Avx512BW.MultiplyAddAdjacent(w.H6, y6) + Avx512BW.MultiplyAddAdjacent(w.H7, y7);
        var lowSum = Avx512BW.MultiplyAddAdjacent(w.L0, y0) + Avx512BW.MultiplyAddAdjacent(w.L1, y1)
            + Avx512BW.MultiplyAddAdjacent(w.L2, y2) + Avx512BW.MultiplyAddAdjacent(w.L3, y3)
            + Avx512BW.MultiplyAddAdjacent(w.L4, y4) + Avx512BW.MultiplyAddAdjacent(w.L5, y5)
            + Avx512BW.MultiplyAddAdjacent(w.L6, y6) + Avx512BW.MultiplyAddAdjacent(w.L7, y7);
        var dot = Avx512BW.MultiplyAddAdjacent(high, Vector512.Create((short)16)) + Avx512BW.MultiplyAddAdjacent(lowSum, Vector512.Create((short)1))
            - Vector512.Create(128 * sum);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), d * Vector512.Create(scale), acc);
    }
}
