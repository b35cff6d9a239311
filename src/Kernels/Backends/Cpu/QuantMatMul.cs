using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// A weight format whose integer levels meet int8 activations in integer dot products: the ggml
/// blocks Q4_0, Q4_1, Q8_0 and QuantRuntime's group-scaled INT4/INT8 family (which shares their
/// packing: a group of G weights is an fp16 scale d, an fp16 minimum m when asymmetric, then the
/// levels; INT4 nibbles run per 32 weights as in Q4_0). Members are JIT-time constants.
/// </summary>
internal interface IQuantFormat
{
    /// <summary>Bytes per group of 32 weights; 0 for groups of 64 or more (size given at run time).</summary>
    static abstract int BlockBytes { get; }

    /// <summary>4 or 8.</summary>
    static abstract int Bits { get; }

    /// <summary>Whether a minimum m is stored (w = d q + m) rather than a centred level (w = d s).</summary>
    static abstract bool Asymmetric { get; }
}

/// <summary>Q4_0 (= INT4 g32): fp16 d, 16 bytes of nibbles; w = d (q - 8).</summary>
internal struct Q4_0Format : IQuantFormat { public static int BlockBytes => 18; public static int Bits => 4; public static bool Asymmetric => false; }

/// <summary>Q4_1 (= INT4 g32 asymmetric): fp16 d, fp16 m, 16 bytes of nibbles; w = d q + m.</summary>
internal struct Q4_1Format : IQuantFormat { public static int BlockBytes => 20; public static int Bits => 4; public static bool Asymmetric => true; }

/// <summary>Q8_0 (= INT8 g32): fp16 d, 32 int8; w = d s.</summary>
internal struct Q8_0Format : IQuantFormat { public static int BlockBytes => 34; public static int Bits => 8; public static bool Asymmetric => false; }

/// <summary>INT8 g32 asymmetric: fp16 d, fp16 m, 32 uint8; w = d q + m.</summary>
internal struct Int8AsymG32Format : IQuantFormat { public static int BlockBytes => 36; public static int Bits => 8; public static bool Asymmetric => true; }

/// <summary>INT4 symmetric, groups of 64 to 256 sharing one scale.</summary>
internal struct Int4GroupsFormat : IQuantFormat { public static int BlockBytes => 0; public static int Bits => 4; public static bool Asymmetric => false; }

/// <summary>INT4 asymmetric, groups of 64 to 256.</summary>
internal struct Int4AsymGroupsFormat : IQuantFormat { public static int BlockBytes => 0; public static int Bits => 4; public static bool Asymmetric => true; }

/// <summary>INT8 symmetric, groups of 64 to 256.</summary>
internal struct Int8GroupsFormat : IQuantFormat { public static int BlockBytes => 0; public static int Bits => 8; public static bool Asymmetric => false; }

/// <summary>INT8 asymmetric, groups of 64 to 256.</summary>
internal struct Int8AsymGroupsFormat : IQuantFormat { public static int BlockBytes => 0; public static int Bits => 8; public static bool Asymmetric => true; }

/// <summary>Run-time geometry of a quantized row: group size and bytes, level bits, symmetry.</summary>
internal readonly record struct QuantLayout(int GroupSize, int GroupBytes, int Bits, bool Asymmetric)
{
    public int HeaderBytes => Asymmetric ? 4 : 2;
}

/// <summary>
/// Quantized-weight matrix products against <see cref="QuantizedActivations"/>: per block of 32 an
/// exact integer dot product, then float32 scaling and accumulation. The kernels read the weights
/// in ggml's own block layout, straight from the (memory-mapped) tensor, with no repacking (Q4_0 and
/// Q8_0 on AVX-512 are the exception: <see cref="Q4_0Interleaved"/>, <see cref="Q8_0Interleaved{TV}"/>).
/// </summary>
internal static unsafe class QuantMatMul
{
    // ---------------------------------------------------------------- AVX-512 (BW + VBMI)
    // One 512-bit vector holds a pair of blocks: lanes 0-7 (int32 after vpmaddwd) block 2p, lanes
    // 8-15 block 2p+1. A tile is four weight rows × TA activation rows, one float32 accumulator per
    // (weight row, activation row) and the same operation sequence whatever the tile.

    /// <summary>
    /// vpermt2w control gathering the fp16 scale words at <paramref name="a"/> and <paramref name="b"/>
    /// (the two blocks of a pair) of two weight rows into dwords <paramref name="firstDword"/>..+3,
    /// each word in both halves of its dword (see <see cref="WidenScales"/>): dword first+2i+j holds
    /// block j of row i (row 0 from the first source, row 1 from the second).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> ScaleGather(int a, int b, int firstDword)
    {
        // word w belongs to dword w/2; dwords first..first+3 take: row0 a, row0 b, row1 a, row1 b.
        var words = Vector512<ushort>.Indices >>> 1; // dword index of each word
        var rel = words - Vector512.Create((ushort)firstDword);
        var isB = (rel & Vector512.Create((ushort)1)) * (ushort)(b - a);
        var isRow1 = ((rel >>> 1) & Vector512.Create((ushort)1)) * (ushort)32;
        return Vector512.Create((ushort)a) + isB + isRow1;
    }

    /// <summary>
    /// Widens fp16 values sitting in the high half of each dword exactly to float32 (finite values:
    /// the exponent is rebased by 2^112, subnormals come out right; a non-finite scale would come
    /// out finite, which no quantizer writes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WidenScales(Vector512<int> words) =>
        ((words >> 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector512.Create(HalfBits.Rebias);

    /// <summary>Scales d of rows 0..3, blocks 0..1 of a pair, as float32 in dwords 2r + j (the other dwords zero-ish, unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TileScales(Vector512<byte> raw0, Vector512<byte> raw1, Vector512<byte> raw2, Vector512<byte> raw3,
        Vector512<ushort> gather01, Vector512<ushort> gather23)
    {
        var t01 = Avx512BW.PermuteVar32x16x2(raw0.AsUInt16(), gather01, raw1.AsUInt16());
        var t23 = Avx512BW.PermuteVar32x16x2(raw2.AsUInt16(), gather23, raw3.AsUInt16());
        // dwords 0-3 from t01, 4-7 from t23
        var mask = Vector512.Create(0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0).AsUInt16();
        return WidenScales(Vector512.ConditionalSelect(mask, t23, t01).AsInt32());
    }

    /// <summary>
    /// A tile of the AVX-512 kernel: weight rows r0..r3 (<paramref name="valid"/> distinct, the rest
    /// repeats), <typeparamref name="TA"/> quantized activation rows at <paramref name="act"/>, outputs
    /// y[a * yStride + o]. Per pair of 32-weight blocks: each weight row's values are loaded once and
    /// spread with one vpermb (INT4) or vpermt2b (INT8); the scales of the tile's four rows are
    /// widened together, multiplied by the activation scales once, and broadcast per row with
    /// vpermps. Formats with groups of 32 (Q4_0, Q4_1, Q8_0, INT8 g32 asym) take each pair's scales
    /// from the pair's own bytes; groups of 64+ (<paramref name="groupSize"/>, <paramref name="groupBytes"/>)
    /// read one scale per group and keep it for the group's pairs.
    /// INT8 asymmetric levels q are used as q - 128 (signed) with minimum m + 128 d.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the tail buffer is cleared only for the tiles that use it (a 1 KB memset per tile otherwise)
    public static void TileAvx512<TW, TA>(byte* r0, byte* r1, byte* r2, byte* r3, int valid, int blocks, int groupSize, int groupBytes,
        byte* end, byte* act, int actStride, float* y, int yStride, byte* prefetch, int prefetchBytes, byte* unpackTo = null, int unpackStride = 0)
        where TW : struct, IQuantFormat where TA : struct, IConst
    {
        // TA = 0 (C0): unpack mode, used by UnpackTileAvx512: store the tile's operands, compute nothing.
        bool unpack = TA.Value == 0;
        bool grouped = TW.BlockBytes == 0;
        bool int4 = TW.Bits == 4;
        bool asym = TW.Asymmetric;
        int header = asym ? 4 : 2;
        int pairs = (blocks + 1) / 2;
        int last = pairs - 1;
        // Bytes from one pair to the next (groups of 32), or from one group to the next and the
        // values' offset within a group (larger groups).
        int pairBytes = grouped ? (int4 ? 32 : 64) : 2 * TW.BlockBytes;
        int pairsPerGroup = grouped ? groupSize / 64 : 1;

        // Groups of 32: a pair is loaded as 64 bytes (Q8_0: 64 + 64 from 4 bytes on) and the last two
        // pairs of a row may spill past the row's end: up to 28 bytes after the last pair, 10 after
        // the one before it when the block count is odd. Those two pairs are read from a zeroed copy
        // when the count is odd (the missing block must read as zero) or when the spill could pass
        // the end of the tensor (<paramref name="end"/>), where a memory-mapped file may end.
        // Otherwise the spill lands in the next row, unused, and the copy is skipped.
        const int TailStride = 256;
        int tailFrom = Math.Max(0, last - 1);
        byte* tails = stackalloc byte[4 * TailStride];
        byte* highest = r0 > r1 ? r0 : r1;
        highest = highest > r2 ? highest : r2;
        highest = highest > r3 ? highest : r3;
        bool copyTails = !grouped && ((blocks & 1) != 0 || highest + (long)tailFrom * pairBytes + TailStride > end);
        if (copyTails)
        {
            new Span<byte>(tails, 4 * TailStride).Clear();
            int tailBytes = (blocks - 2 * tailFrom) * TW.BlockBytes;
            Buffer.MemoryCopy(r0 + tailFrom * pairBytes, tails, TailStride, tailBytes);
            Buffer.MemoryCopy(r1 + tailFrom * pairBytes, tails + TailStride, TailStride, tailBytes);
            Buffer.MemoryCopy(r2 + tailFrom * pairBytes, tails + 2 * TailStride, TailStride, tailBytes);
            Buffer.MemoryCopy(r3 + tailFrom * pairBytes, tails + 3 * TailStride, TailStride, tailBytes);
        }

        // Constants, built once per call from index vectors (no static fields in the loop).
        var iota = Vector512<byte>.Indices;
        var upperHalf = Vector512.GreaterThanOrEqual(iota, Vector512.Create((byte)32));
        // INT4: 128-bit lanes 0,1 take the first block's 16 bytes, lanes 2,3 the second's.
        var nibbles = (iota & Vector512.Create((byte)15))
            + (grouped ? upperHalf & Vector512.Create((byte)16) : Vector512.Create((byte)header) + (upperHalf & Vector512.Create((byte)TW.BlockBytes)));
        // INT8 (groups of 32): A = bytes 0..63 of the pair, B = its last 64 bytes.
        var int8Values = iota + Vector512.ConditionalSelect(upperHalf, Vector512.Create((byte)64), Vector512.Create((byte)header));
        int secondLoad = grouped ? 0 : 2 * TW.BlockBytes - 64;
        var nibbleShift = Vector512.Create(0ul, 0, 4, 4, 0, 0, 4, 4);
        int scaleB = TW.BlockBytes / 2; // word index of the second block's scale
        var gather01 = ScaleGather(0, scaleB, 0);
        var gather23 = ScaleGather(0, scaleB, 4);
        var gatherMin01 = ScaleGather(1, scaleB + 1, 0);
        var gatherMin23 = ScaleGather(1, scaleB + 1, 4);
        var pairIndex = Vector512.Create(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1);
        var row0 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        var row1 = row0 + Vector512.Create(2);
        var row2 = row0 + Vector512.Create(4);
        var row3 = row0 + Vector512.Create(6);
        var ones16 = Vector512.Create((short)1);
        var eights = Vector512.Create((byte)8);
        var onesU8 = Vector512.Create((byte)1);
        var low = Vector512.Create((byte)0x0F);
        var flip = Vector512.Create((byte)0x80);

        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        float* s0 = QuantizedActivations.Scales(act, pairs);
        float* s1 = QuantizedActivations.Scales(act + actStride, pairs);
        sbyte* q0 = (sbyte*)act;
        sbyte* q1 = (sbyte*)(act + actStride);
        // Groups of 32: the pairs themselves; larger groups: the current group's start.
        byte* p0 = r0, p1 = r1, p2 = r2, p3 = r3;
        int inGroup = 0;
        Vector512<float> d = default, m = default;
        if (grouped)
        {
            (d, m) = GroupScales(p0, p1, p2, p3, asym, !int4);
        }
        // Rows of a few KB are short streams that the hardware prefetchers pick up late, so the
        // tile prefetches the caller's next region (the next tile's rows) while it computes.
        byte* prefetchEnd = prefetch + prefetchBytes;
        int prefetchStep = (prefetchBytes / pairs + 63) & ~63;

        for (int p = 0; p < pairs; p++)
        {
            if (prefetch < prefetchEnd)
            {
                for (int i = 0; i < prefetchStep; i += 64)
                {
                    Memory.Prefetch(prefetch + i);
                }
                prefetch += prefetchStep;
            }
            byte* v0, v1, v2, v3;
            if (grouped)
            {
                int offset = header + inGroup * pairBytes;
                v0 = p0 + offset;
                v1 = p1 + offset;
                v2 = p2 + offset;
                v3 = p3 + offset;
            }
            else if (p >= tailFrom && copyTails)
            {
                v0 = tails + (p - tailFrom) * pairBytes;
                v1 = v0 + TailStride;
                v2 = v0 + 2 * TailStride;
                v3 = v0 + 3 * TailStride;
            }
            else
            {
                v0 = p0;
                v1 = p1;
                v2 = p2;
                v3 = p3;
            }
            Vector512<byte> raw0, raw1, raw2, raw3;
            if (grouped && int4)
            {
                raw0 = Vector256.Load(v0).ToVector512Unsafe();
                raw1 = Vector256.Load(v1).ToVector512Unsafe();
                raw2 = Vector256.Load(v2).ToVector512Unsafe();
                raw3 = Vector256.Load(v3).ToVector512Unsafe();
            }
            else
            {
                raw0 = Vector512.Load(v0);
                raw1 = Vector512.Load(v1);
                raw2 = Vector512.Load(v2);
                raw3 = Vector512.Load(v3);
            }
            if (!grouped)
            {
                d = TileScales(raw0, raw1, raw2, raw3, gather01, gather23);
                if (asym)
                {
                    m = TileScales(raw0, raw1, raw2, raw3, gatherMin01, gatherMin23);
                    if (!int4)
                    {
                        m = Avx512F.FusedMultiplyAdd(d, Vector512.Create(128f), m);
                    }
                }
            }

            if (unpack)
            {
                byte* u = unpackTo + (long)p * unpackStride;
                d.Store((float*)(u + 256));
                if (asym)
                {
                    m.Store((float*)(u + 320));
                }
                int negAt = asym ? 384 : 320;
                if (int4)
                {
                    Nibbles(raw0, nibbles, nibbleShift, low).Store(u);
                    Nibbles(raw1, nibbles, nibbleShift, low).Store(u + 64);
                    Nibbles(raw2, nibbles, nibbleShift, low).Store(u + 128);
                    Nibbles(raw3, nibbles, nibbleShift, low).Store(u + 192);
                }
                else
                {
                    var w0 = grouped ? raw0 : Avx512Vbmi.PermuteVar64x8x2(raw0, int8Values, Vector512.Load(v0 + secondLoad));
                    var w1 = grouped ? raw1 : Avx512Vbmi.PermuteVar64x8x2(raw1, int8Values, Vector512.Load(v1 + secondLoad));
                    var w2 = grouped ? raw2 : Avx512Vbmi.PermuteVar64x8x2(raw2, int8Values, Vector512.Load(v2 + secondLoad));
                    var w3 = grouped ? raw3 : Avx512Vbmi.PermuteVar64x8x2(raw3, int8Values, Vector512.Load(v3 + secondLoad));
                    if (asym)
                    {
                        w0 ^= flip;
                        w1 ^= flip;
                        w2 ^= flip;
                        w3 ^= flip;
                    }
                    Avx512BW.Abs(w0.AsSByte()).Store(u);
                    Avx512BW.Abs(w1.AsSByte()).Store(u + 64);
                    Avx512BW.Abs(w2.AsSByte()).Store(u + 128);
                    Avx512BW.Abs(w3.AsSByte()).Store(u + 192);
                    Avx512BW.CompareLessThan(w0.AsSByte(), Vector512<sbyte>.Zero).Store((sbyte*)(u + negAt));
                    Avx512BW.CompareLessThan(w1.AsSByte(), Vector512<sbyte>.Zero).Store((sbyte*)(u + negAt + 64));
                    Avx512BW.CompareLessThan(w2.AsSByte(), Vector512<sbyte>.Zero).Store((sbyte*)(u + negAt + 128));
                    Avx512BW.CompareLessThan(w3.AsSByte(), Vector512<sbyte>.Zero).Store((sbyte*)(u + negAt + 192));
                }
            }
            else
            {
                // Activation side, shared by the four weight rows.
                var ya = Vector512.Load(q0 + 64 * p);
                var dy0 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s0 + 2 * p)).AsSingle(), pairIndex);
                var sd0 = d * dy0;
                Vector512<sbyte> yb = default;
                Vector512<float> sd1 = default;
                if (TA.Value > 1)
                {
                    yb = Vector512.Load(q1 + 64 * p);
                    var dy1 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s1 + 2 * p)).AsSingle(), pairIndex);
                    sd1 = d * dy1;
                }
                Vector512<short> off0 = default, off1 = default;
                Vector512<float> ys0 = default, ys1 = default;
                if (int4 && !asym)
                {
                    // 8 * (pair sums of y): subtracting it turns the unsigned nibbles q into q - 8.
                    off0 = Avx512BW.MultiplyAddAdjacent(eights, ya);
                    if (TA.Value > 1) off1 = Avx512BW.MultiplyAddAdjacent(eights, yb);
                }
                if (asym)
                {
                    // d_y * (sum of y over each lane's 4 values): the minimum's share, m * sum(d_y q_y).
                    var bcast0 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s0 + 2 * p)).AsSingle(), row0);
                    ys0 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, ya), ones16)) * bcast0;
                    if (TA.Value > 1)
                    {
                        var bcast1 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s1 + 2 * p)).AsSingle(), row0);
                        ys1 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, yb), ones16)) * bcast1;
                    }
                }

                if (!int4)
                {
                    Vector512<sbyte> w0, w1, w2, w3;
                    if (grouped)
                    {
                        w0 = raw0.AsSByte();
                        w1 = raw1.AsSByte();
                        w2 = raw2.AsSByte();
                        w3 = raw3.AsSByte();
                    }
                    else
                    {
                        w0 = Avx512Vbmi.PermuteVar64x8x2(raw0, int8Values, Vector512.Load(v0 + secondLoad)).AsSByte();
                        w1 = Avx512Vbmi.PermuteVar64x8x2(raw1, int8Values, Vector512.Load(v1 + secondLoad)).AsSByte();
                        w2 = Avx512Vbmi.PermuteVar64x8x2(raw2, int8Values, Vector512.Load(v2 + secondLoad)).AsSByte();
                        w3 = Avx512Vbmi.PermuteVar64x8x2(raw3, int8Values, Vector512.Load(v3 + secondLoad)).AsSByte();
                    }
                    if (asym)
                    {
                        w0 = (w0.AsByte() ^ flip).AsSByte();
                        w1 = (w1.AsByte() ^ flip).AsSByte();
                        w2 = (w2.AsByte() ^ flip).AsSByte();
                        w3 = (w3.AsByte() ^ flip).AsSByte();
                    }
                    var a0 = Avx512BW.Abs(w0); var n0 = Avx512BW.CompareLessThan(w0, Vector512<sbyte>.Zero);
                    var a1 = Avx512BW.Abs(w1); var n1 = Avx512BW.CompareLessThan(w1, Vector512<sbyte>.Zero);
                    var a2 = Avx512BW.Abs(w2); var n2 = Avx512BW.CompareLessThan(w2, Vector512<sbyte>.Zero);
                    var a3 = Avx512BW.Abs(w3); var n3 = Avx512BW.CompareLessThan(w3, Vector512<sbyte>.Zero);
                    c00 = DotQ8(a0, n0, ya, sd0, row0, ones16, c00);
                    c01 = DotQ8(a1, n1, ya, sd0, row1, ones16, c01);
                    c02 = DotQ8(a2, n2, ya, sd0, row2, ones16, c02);
                    c03 = DotQ8(a3, n3, ya, sd0, row3, ones16, c03);
                    if (TA.Value > 1)
                    {
                        c10 = DotQ8(a0, n0, yb, sd1, row0, ones16, c10);
                        c11 = DotQ8(a1, n1, yb, sd1, row1, ones16, c11);
                        c12 = DotQ8(a2, n2, yb, sd1, row2, ones16, c12);
                        c13 = DotQ8(a3, n3, yb, sd1, row3, ones16, c13);
                    }
                }
                else
                {
                    var w0 = Nibbles(raw0, nibbles, nibbleShift, low);
                    var w1 = Nibbles(raw1, nibbles, nibbleShift, low);
                    var w2 = Nibbles(raw2, nibbles, nibbleShift, low);
                    var w3 = Nibbles(raw3, nibbles, nibbleShift, low);
                    c00 = DotQ4(w0, ya, off0, sd0, row0, ones16, !asym, c00);
                    c01 = DotQ4(w1, ya, off0, sd0, row1, ones16, !asym, c01);
                    c02 = DotQ4(w2, ya, off0, sd0, row2, ones16, !asym, c02);
                    c03 = DotQ4(w3, ya, off0, sd0, row3, ones16, !asym, c03);
                    if (TA.Value > 1)
                    {
                        c10 = DotQ4(w0, yb, off1, sd1, row0, ones16, !asym, c10);
                        c11 = DotQ4(w1, yb, off1, sd1, row1, ones16, !asym, c11);
                        c12 = DotQ4(w2, yb, off1, sd1, row2, ones16, !asym, c12);
                        c13 = DotQ4(w3, yb, off1, sd1, row3, ones16, !asym, c13);
                    }
                }
                if (asym)
                {
                    c00 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys0, c00);
                    c01 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys0, c01);
                    c02 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys0, c02);
                    c03 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys0, c03);
                    if (TA.Value > 1)
                    {
                        c10 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys1, c10);
                        c11 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys1, c11);
                        c12 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys1, c12);
                        c13 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys1, c13);
                    }
                }

            }
            if (grouped)
            {
                if (++inGroup == pairsPerGroup && p != last)
                {
                    inGroup = 0;
                    p0 += groupBytes;
                    p1 += groupBytes;
                    p2 += groupBytes;
                    p3 += groupBytes;
                    (d, m) = GroupScales(p0, p1, p2, p3, asym, !int4);
                }
            }
            else
            {
                p0 += pairBytes;
                p1 += pairBytes;
                p2 += pairBytes;
                p3 += pairBytes;
            }
        }
        if (unpack)
        {
            return;
        }
        Store4(c00, c01, c02, c03, y, valid);
        if (TA.Value > 1)
        {
            y += yStride;
            Store4(c10, c11, c12, c13, y, valid);
        }
    }

    /// <summary>Bytes of one pair in an unpacked tile (see <see cref="UnpackTileAvx512{TW}"/>).</summary>
    public static int UnpackedPairBytes<TW>() where TW : struct, IQuantFormat =>
        5 * 64 + (TW.Asymmetric ? 64 : 0) + (TW.Bits == 8 ? 4 * 64 : 0);

    /// <summary>
    /// GEMM, step 1: unpacks a tile of four weight rows once into <paramref name="scratch"/>, per pair
    /// of blocks: the four rows' levels as the vpmaddubsw operand (INT4: nibbles q; INT8: |s|), the
    /// tile's widened scales d (and minima), and for INT8 the sign masks. It runs the same unpacking
    /// code as <see cref="TileAvx512{TW,TA}"/> on a tile of one activation row (whose outputs go to a
    /// dummy), so the micro-kernel sees exactly the values the GEMV kernel computes with.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UnpackTileAvx512<TW>(byte* r0, byte* r1, byte* r2, byte* r3, int blocks, int groupSize, int groupBytes,
        byte* end, byte* scratch, byte* prefetch, int prefetchBytes) where TW : struct, IQuantFormat
    {
        TileAvx512<TW, C0>(r0, r1, r2, r3, 4, blocks, groupSize, groupBytes, end, null, 0, null, 0, prefetch, prefetchBytes, scratch, UnpackedPairBytes<TW>());
    }

    /// <summary>
    /// GEMM, step 2: an unpacked four-row tile (<see cref="UnpackTileAvx512{TW}"/>) against
    /// <typeparamref name="TA"/> activation rows; per (weight row, activation row) exactly the
    /// operations of <see cref="TileAvx512{TW,TA}"/>, so batched rows equal single-row results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MicroAvx512<TW, TA>(byte* tile, int valid, int blocks, byte* act, int actStride, float* y, int yStride)
        where TW : struct, IQuantFormat where TA : struct, IConst
    {
        bool int4 = TW.Bits == 4;
        bool asym = TW.Asymmetric;
        int pairs = (blocks + 1) / 2;
        int pairBytes = UnpackedPairBytes<TW>();
        var pairIndex = Vector512.Create(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1);
        var row0 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        var row1 = row0 + Vector512.Create(2);
        var row2 = row0 + Vector512.Create(4);
        var row3 = row0 + Vector512.Create(6);
        var ones16 = Vector512.Create((short)1);
        var eights = Vector512.Create((byte)8);
        var onesU8 = Vector512.Create((byte)1);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        sbyte* q0 = (sbyte*)(act + 0 * actStride);
        float* s0 = QuantizedActivations.Scales(act + 0 * actStride, pairs);
        sbyte* q1 = (sbyte*)(act + 1 * actStride);
        float* s1 = QuantizedActivations.Scales(act + 1 * actStride, pairs);
        sbyte* q2 = (sbyte*)(act + 2 * actStride);
        float* s2 = QuantizedActivations.Scales(act + 2 * actStride, pairs);
        sbyte* q3 = (sbyte*)(act + 3 * actStride);
        float* s3 = QuantizedActivations.Scales(act + 3 * actStride, pairs);
        for (int p = 0; p < pairs; p++, tile += pairBytes)
        {
            var w0 = Vector512.Load(tile);
            var w1 = Vector512.Load(tile + 64);
            var w2 = Vector512.Load(tile + 128);
            var w3 = Vector512.Load(tile + 192);
            var d = Vector512.Load((float*)(tile + 256));
            var m = asym ? Vector512.Load((float*)(tile + 320)) : default;
            int negAt = asym ? 384 : 320;
            Vector512<sbyte> n0 = default, n1 = default, n2 = default, n3 = default;
            if (!int4)
            {
                n0 = Vector512.Load((sbyte*)(tile + negAt));
                n1 = Vector512.Load((sbyte*)(tile + negAt + 64));
                n2 = Vector512.Load((sbyte*)(tile + negAt + 128));
                n3 = Vector512.Load((sbyte*)(tile + negAt + 192));
            }
            var y0 = Vector512.Load(q0 + 64 * p);
            var sd0 = d * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s0 + 2 * p)).AsSingle(), pairIndex);
            if (int4)
            {
                var off0 = asym ? default : Avx512BW.MultiplyAddAdjacent(eights, y0);
                c00 = DotQ4(w0, y0, off0, sd0, row0, ones16, !asym, c00);
                c01 = DotQ4(w1, y0, off0, sd0, row1, ones16, !asym, c01);
                c02 = DotQ4(w2, y0, off0, sd0, row2, ones16, !asym, c02);
                c03 = DotQ4(w3, y0, off0, sd0, row3, ones16, !asym, c03);
            }
            else
            {
                c00 = DotQ8(w0, n0, y0, sd0, row0, ones16, c00);
                c01 = DotQ8(w1, n1, y0, sd0, row1, ones16, c01);
                c02 = DotQ8(w2, n2, y0, sd0, row2, ones16, c02);
                c03 = DotQ8(w3, n3, y0, sd0, row3, ones16, c03);
            }
            if (asym)
            {
                var ys0 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y0), ones16))
                    * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s0 + 2 * p)).AsSingle(), row0);
                c00 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys0, c00);
                c01 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys0, c01);
                c02 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys0, c02);
                c03 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys0, c03);
            }
            if (TA.Value > 1)
            {
                var y1 = Vector512.Load(q1 + 64 * p);
                var sd1 = d * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s1 + 2 * p)).AsSingle(), pairIndex);
                if (int4)
                {
                    var off1 = asym ? default : Avx512BW.MultiplyAddAdjacent(eights, y1);
                    c10 = DotQ4(w0, y1, off1, sd1, row0, ones16, !asym, c10);
                    c11 = DotQ4(w1, y1, off1, sd1, row1, ones16, !asym, c11);
                    c12 = DotQ4(w2, y1, off1, sd1, row2, ones16, !asym, c12);
                    c13 = DotQ4(w3, y1, off1, sd1, row3, ones16, !asym, c13);
                }
                else
                {
                    c10 = DotQ8(w0, n0, y1, sd1, row0, ones16, c10);
                    c11 = DotQ8(w1, n1, y1, sd1, row1, ones16, c11);
                    c12 = DotQ8(w2, n2, y1, sd1, row2, ones16, c12);
                    c13 = DotQ8(w3, n3, y1, sd1, row3, ones16, c13);
                }
                if (asym)
                {
                    var ys1 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y1), ones16))
                        * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s1 + 2 * p)).AsSingle(), row0);
                    c10 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys1, c10);
                    c11 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys1, c11);
                    c12 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys1, c12);
                    c13 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys1, c13);
                }
            }
            if (TA.Value > 2)
            {
                var y2 = Vector512.Load(q2 + 64 * p);
                var sd2 = d * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s2 + 2 * p)).AsSingle(), pairIndex);
                if (int4)
                {
                    var off2 = asym ? default : Avx512BW.MultiplyAddAdjacent(eights, y2);
                    c20 = DotQ4(w0, y2, off2, sd2, row0, ones16, !asym, c20);
                    c21 = DotQ4(w1, y2, off2, sd2, row1, ones16, !asym, c21);
                    c22 = DotQ4(w2, y2, off2, sd2, row2, ones16, !asym, c22);
                    c23 = DotQ4(w3, y2, off2, sd2, row3, ones16, !asym, c23);
                }
                else
                {
                    c20 = DotQ8(w0, n0, y2, sd2, row0, ones16, c20);
                    c21 = DotQ8(w1, n1, y2, sd2, row1, ones16, c21);
                    c22 = DotQ8(w2, n2, y2, sd2, row2, ones16, c22);
                    c23 = DotQ8(w3, n3, y2, sd2, row3, ones16, c23);
                }
                if (asym)
                {
                    var ys2 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y2), ones16))
                        * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s2 + 2 * p)).AsSingle(), row0);
                    c20 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys2, c20);
                    c21 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys2, c21);
                    c22 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys2, c22);
                    c23 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys2, c23);
                }
            }
            if (TA.Value > 3)
            {
                var y3 = Vector512.Load(q3 + 64 * p);
                var sd3 = d * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s3 + 2 * p)).AsSingle(), pairIndex);
                if (int4)
                {
                    var off3 = asym ? default : Avx512BW.MultiplyAddAdjacent(eights, y3);
                    c30 = DotQ4(w0, y3, off3, sd3, row0, ones16, !asym, c30);
                    c31 = DotQ4(w1, y3, off3, sd3, row1, ones16, !asym, c31);
                    c32 = DotQ4(w2, y3, off3, sd3, row2, ones16, !asym, c32);
                    c33 = DotQ4(w3, y3, off3, sd3, row3, ones16, !asym, c33);
                }
                else
                {
                    c30 = DotQ8(w0, n0, y3, sd3, row0, ones16, c30);
                    c31 = DotQ8(w1, n1, y3, sd3, row1, ones16, c31);
                    c32 = DotQ8(w2, n2, y3, sd3, row2, ones16, c32);
                    c33 = DotQ8(w3, n3, y3, sd3, row3, ones16, c33);
                }
                if (asym)
                {
                    var ys3 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y3), ones16))
                        * Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s3 + 2 * p)).AsSingle(), row0);
                    c30 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys3, c30);
                    c31 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys3, c31);
                    c32 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys3, c32);
                    c33 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys3, c33);
                }
            }
        }
        float* o0 = y + 0 * yStride;
        Store4(c00, c01, c02, c03, o0, valid);
        if (TA.Value > 1)
        {
            float* o1 = y + 1 * yStride;
            Store4(c10, c11, c12, c13, o1, valid);
        }
        if (TA.Value > 2)
        {
            float* o2 = y + 2 * yStride;
            Store4(c20, c21, c22, c23, o2, valid);
        }
        if (TA.Value > 3)
        {
            float* o3 = y + 3 * yStride;
            Store4(c30, c31, c32, c33, o3, valid);
        }
    }

    /// <summary>
    /// Writes the horizontal sums of four accumulators (one reduction tree for the four, the same in
    /// every kernel, so GEMV and GEMM results agree bit for bit) to y[0..valid-1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* y, int valid)
    {
        if (valid == 4)
        {
            V512.Sum4(a, b, c, d, y);
            return;
        }
        float* sums = stackalloc float[4];
        V512.Sum4(a, b, c, d, sums);
        for (int i = 0; i < valid; i++)
        {
            y[i] = sums[i];
        }
    }

    /// <summary>
    /// One group's scale d (and minimum m; for INT8 m + 128 d) of four rows, in the lane layout of
    /// <see cref="TileScales"/> (dwords 2r and 2r + 1 hold row r, as both blocks of a pair share it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> D, Vector512<float> M) GroupScales(byte* g0, byte* g1, byte* g2, byte* g3, bool asym, bool int8)
    {
        float d0 = HalfBits.ToSingle(*(ushort*)g0), d1 = HalfBits.ToSingle(*(ushort*)g1);
        float d2 = HalfBits.ToSingle(*(ushort*)g2), d3 = HalfBits.ToSingle(*(ushort*)g3);
        var d = Vector512.Create(Vector256.Create(d0, d0, d1, d1, d2, d2, d3, d3), Vector256<float>.Zero);
        if (!asym)
        {
            return (d, default);
        }
        float m0 = HalfBits.ToSingle(((ushort*)g0)[1]), m1 = HalfBits.ToSingle(((ushort*)g1)[1]);
        float m2 = HalfBits.ToSingle(((ushort*)g2)[1]), m3 = HalfBits.ToSingle(((ushort*)g3)[1]);
        var m = Vector512.Create(Vector256.Create(m0, m0, m1, m1, m2, m2, m3, m3), Vector256<float>.Zero);
        return (d, int8 ? Avx512F.FusedMultiplyAdd(d, Vector512.Create(128f), m) : m);
    }

    /// <summary>The 64 nibbles of a Q4 pair, in weight order, one per byte (vpermb spreads, vpsrlvq shifts the high halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Nibbles(Vector512<byte> raw, Vector512<byte> index, Vector512<ulong> shift, Vector512<byte> low) =>
        Avx512F.ShiftRightLogicalVariable(Avx512Vbmi.PermuteVar64x8(raw, index).AsUInt64(), shift).AsByte() & low;

    /// <summary>acc + (Σ4 (q [- 8]) y per lane) · (d_x d_y), the scale broadcast from <paramref name="scales"/> lanes of this row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> DotQ4(Vector512<byte> w, Vector512<sbyte> y, Vector512<short> offset, Vector512<float> scales,
        Vector512<int> row, Vector512<short> ones16, bool subtractOffset, Vector512<float> acc)
    {
        var pairsDot = Avx512BW.MultiplyAddAdjacent(w, y);
        if (subtractOffset)
        {
            pairsDot -= offset;
        }
        var dot = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(pairsDot, ones16));
        return Avx512F.FusedMultiplyAdd(dot, Avx512F.PermuteVar16x32(scales, row), acc);
    }

    /// <summary>
    /// INT8: |w| · (y · sign(w)) through vpmaddubsw (its first operand is unsigned; |-128| = 128 fits a
    /// byte). <paramref name="magnitude"/> = |w| and <paramref name="negative"/> = (w &lt; 0 ? -1 : 0) are
    /// computed once per weight row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> DotQ8(Vector512<byte> magnitude, Vector512<sbyte> negative, Vector512<sbyte> y, Vector512<float> scales,
        Vector512<int> row, Vector512<short> ones16, Vector512<float> acc)
    {
        var signed = (y ^ negative) - negative;
        var dot = Avx512F.ConvertToVector512Single(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, signed), ones16));
        return Avx512F.FusedMultiplyAdd(dot, Avx512F.PermuteVar16x32(scales, row), acc);
    }

    // ---------------------------------------------------------------- AVX2 / AVX-VNNI
    // One 256-bit vector per 32-weight block (8 int32 lanes), one (weight row, activation row) pair
    // at a time, any layout of the family.

    /// <summary>Dot product of one weight row with one quantized activation row (AVX2, optionally AVX-VNNI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* w, QuantLayout layout, int blocks, byte* act, bool vnni)
    {
        int pairs = (blocks + 1) / 2;
        float* scales = QuantizedActivations.Scales(act, pairs);
        sbyte* q = (sbyte*)act;
        var acc = Vector256<float>.Zero;
        var ones16 = Vector256.Create((short)1);
        var eights = Vector256.Create((byte)8);
        var onesU8 = Vector256.Create((byte)1);
        var flip = Vector256.Create((byte)0x80);
        var low = Vector128.Create((byte)0x0F);
        int perGroup = layout.GroupSize / 32;
        int header = layout.HeaderBytes;
        int runBytes = layout.Bits == 4 ? 16 : 32;
        bool int4 = layout.Bits == 4;
        for (int b = 0; b < blocks; b++)
        {
            byte* group = w + (long)(b / perGroup) * layout.GroupBytes;
            byte* values = group + header + b % perGroup * runBytes;
            var y = Vector256.Load(q + 32 * b);
            float dy = scales[b];
            float d = HalfBits.ToSingle(*(ushort*)group);
            float m = layout.Asymmetric ? HalfBits.ToSingle(((ushort*)group)[1]) : 0f;
            Vector256<int> dot;
            if (!int4)
            {
                var v = Vector256.Load((sbyte*)values);
                if (layout.Asymmetric)
                {
                    // q - 128 as a signed level; the minimum absorbs 128 d.
                    v = (v.AsByte() ^ flip).AsSByte();
                    m += 128f * d;
                }
                var magnitude = Avx2.Abs(v);
                var signed = Avx2.Sign(y, v);
                dot = vnni
                    ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, magnitude, signed)
                    : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, signed), ones16);
            }
            else
            {
                var packed = Vector128.Load(values);
                var v = Vector256.Create(packed & low, (packed.AsUInt16() >> 4).AsByte() & low);
                if (vnni)
                {
                    dot = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, v, y);
                    if (!layout.Asymmetric) dot -= AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, eights, y);
                }
                else
                {
                    var pairsDot = Avx2.MultiplyAddAdjacent(v, y);
                    if (!layout.Asymmetric) pairsDot -= Avx2.MultiplyAddAdjacent(eights, y);
                    dot = Avx2.MultiplyAddAdjacent(pairsDot, ones16);
                }
            }
            if (layout.Asymmetric)
            {
                var sums = vnni
                    ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, onesU8, y)
                    : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(onesU8, y), ones16);
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(m * dy), acc);
            }
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(d * dy), acc);
        }
        return V256.Sum(acc);
    }

    // ---------------------------------------------------------------- portable (Vector128) and scalar
    // Per 32-weight block an exact int32 dot product of the levels (q - 8, q, s or q as stored), then
    // acc += isum * (d * dy) (+ (m * dy) * sum(q_y) when asymmetric) in float32: both levels perform
    // the same float operations, so they agree bit for bit.

    /// <summary>Dot product of one weight row with one quantized activation row, portable code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotPortable(byte* w, QuantLayout layout, int blocks, byte* act, bool vector)
    {
        int pairs = (blocks + 1) / 2;
        float* scales = QuantizedActivations.Scales(act, pairs);
        sbyte* q = (sbyte*)act;
        float acc = 0f;
        int perGroup = layout.GroupSize / 32;
        int header = layout.HeaderBytes;
        bool int4 = layout.Bits == 4;
        int runBytes = int4 ? 16 : 32;
        for (int b = 0; b < blocks; b++)
        {
            byte* group = w + (long)(b / perGroup) * layout.GroupBytes;
            byte* values = group + header + b % perGroup * runBytes;
            sbyte* y = q + 32 * b;
            float dy = scales[b];
            float d = HalfBits.ToSingle(*(ushort*)group);
            int isum = int4
                ? (vector ? DotNibblesVector(values, y, layout.Asymmetric ? 0 : 8) : DotNibblesScalar(values, y, layout.Asymmetric ? 0 : 8))
                : layout.Asymmetric
                    ? (vector ? DotU8Vector(values, y) : DotU8Scalar(values, y))
                    : (vector ? DotI8Vector((sbyte*)values, y) : DotI8Scalar((sbyte*)values, y));
            acc += isum * (d * dy);
            if (layout.Asymmetric)
            {
                float m = HalfBits.ToSingle(((ushort*)group)[1]);
                int ysum = 0;
                for (int i = 0; i < 32; i++)
                {
                    ysum += y[i];
                }
                acc += ysum * (m * dy);
            }
        }
        return acc;
    }

    private static int DotI8Scalar(sbyte* w, sbyte* y)
    {
        int sum = 0;
        for (int i = 0; i < 32; i++)
        {
            sum += w[i] * y[i];
        }
        return sum;
    }

    private static int DotU8Scalar(byte* w, sbyte* y)
    {
        int sum = 0;
        for (int i = 0; i < 32; i++)
        {
            sum += w[i] * y[i];
        }
        return sum;
    }

    private static int DotNibblesScalar(byte* packed, sbyte* y, int offset)
    {
        int sum = 0;
        for (int j = 0; j < 16; j++)
        {
            sum += ((packed[j] & 0x0F) - offset) * y[j] + ((packed[j] >> 4) - offset) * y[j + 16];
        }
        return sum;
    }

    private static int DotI8Vector(sbyte* w, sbyte* y)
    {
        var acc = Vector128<int>.Zero;
        for (int i = 0; i < 32; i += 16)
        {
            var (w0, w1) = Vector128.Widen(Vector128.Load(w + i));
            var (y0, y1) = Vector128.Widen(Vector128.Load(y + i));
            var (a, b) = Vector128.Widen(w0 * y0);
            var (c, d) = Vector128.Widen(w1 * y1);
            acc += (a + b) + (c + d);
        }
        return Vector128.Sum(acc);
    }

    private static int DotU8Vector(byte* w, sbyte* y)
    {
        var acc = Vector128<int>.Zero;
        for (int i = 0; i < 32; i += 16)
        {
            // |q| <= 255 and |y| <= 128: each int16 product fits (at most 32640); widen before adding.
            var (w0, w1) = Vector128.Widen(Vector128.Load(w + i));
            var (y0, y1) = Vector128.Widen(Vector128.Load(y + i));
            var (a, b) = Vector128.Widen(w0.AsInt16() * y0);
            var (c, d) = Vector128.Widen(w1.AsInt16() * y1);
            acc += (a + b) + (c + d);
        }
        return Vector128.Sum(acc);
    }

    private static int DotNibblesVector(byte* packed, sbyte* y, int offset)
    {
        var bytes = Vector128.Load(packed);
        var off = Vector128.Create((short)offset);
        var (l0, l1) = Vector128.Widen(bytes & Vector128.Create((byte)0x0F));
        var (h0, h1) = Vector128.Widen(bytes >>> 4);
        var (y0, y1) = Vector128.Widen(Vector128.Load(y));
        var (y2, y3) = Vector128.Widen(Vector128.Load(y + 16));
        // |q - 8| <= 15 and |y| <= 128: each int16 product is at most 1920, and two sum to at most 3840.
        var lo = (l0.AsInt16() - off) * y0 + (l1.AsInt16() - off) * y1;
        var hi = (h0.AsInt16() - off) * y2 + (h1.AsInt16() - off) * y3;
        var (a, b) = Vector128.Widen(lo);
        var (c, d) = Vector128.Widen(hi);
        return Vector128.Sum((a + b) + (c + d));
    }
}
