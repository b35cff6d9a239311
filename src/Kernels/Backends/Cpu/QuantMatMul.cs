using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>A ggml block format of 32 weights that meets int8 activations in integer dot products.</summary>
internal interface IQuantFormat
{
    /// <summary>Bytes per block of 32 weights.</summary>
    static abstract int BlockBytes { get; }
}

/// <summary>Q4_0: fp16 d, 16 bytes of nibbles; w = d (q - 8).</summary>
internal struct Q4_0Format : IQuantFormat { public static int BlockBytes => 18; }

/// <summary>Q4_1: fp16 d, fp16 m, 16 bytes of nibbles; w = d q + m.</summary>
internal struct Q4_1Format : IQuantFormat { public static int BlockBytes => 20; }

/// <summary>Q8_0: fp16 d, 32 int8; w = d q.</summary>
internal struct Q8_0Format : IQuantFormat { public static int BlockBytes => 34; }

/// <summary>
/// Quantized-weight matrix products against <see cref="QuantizedActivations"/>: per block of 32 an
/// exact integer dot product, then float32 scaling and accumulation. The kernels read the weights
/// in ggml's own block layout, straight from the (memory-mapped) tensor, with no repacking.
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
    /// y[a * yStride + o]. Per pair of blocks: each weight row's 64 bytes are loaded once and its
    /// nibbles spread with one vpermb; the eight fp16 scales of the tile are gathered into one vector,
    /// widened and multiplied by the activation scales once, then broadcast per row with vpermps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileAvx512<TW, TA>(byte* r0, byte* r1, byte* r2, byte* r3, int valid, int blocks,
        byte* act, int actStride, float* y, int yStride, byte* prefetch, int prefetchBytes) where TW : struct, IQuantFormat where TA : struct, IConst
    {
        int pairs = (blocks + 1) / 2;
        int pairBytes = 2 * TW.BlockBytes;
        int last = pairs - 1;
        bool q40 = typeof(TW) == typeof(Q4_0Format);
        bool q41 = typeof(TW) == typeof(Q4_1Format);
        bool q80 = typeof(TW) == typeof(Q8_0Format);
        // The last pair of each row is read from a zeroed copy: it may be a lone block (odd count) and
        // a full-width load there could run past the end of the tensor.
        byte* tails = stackalloc byte[4 * 128];
        new Span<byte>(tails, 4 * 128).Clear();
        int tailBytes = (blocks - 2 * last) * TW.BlockBytes;
        Buffer.MemoryCopy(r0 + last * pairBytes, tails, 128, tailBytes);
        Buffer.MemoryCopy(r1 + last * pairBytes, tails + 128, 128, tailBytes);
        Buffer.MemoryCopy(r2 + last * pairBytes, tails + 256, 128, tailBytes);
        Buffer.MemoryCopy(r3 + last * pairBytes, tails + 384, 128, tailBytes);

        // Constants, built once per call from index vectors (no static fields in the loop).
        var iota = Vector512<byte>.Indices;
        int valuesAt = q41 ? 4 : 2;
        var nibbles = (iota & Vector512.Create((byte)15)) + Vector512.Create((byte)valuesAt)
            + (Vector512.GreaterThanOrEqual(iota, Vector512.Create((byte)32)) & Vector512.Create((byte)TW.BlockBytes));
        var q8Values = iota + Vector512.ConditionalSelect(Vector512.LessThan(iota, Vector512.Create((byte)32)), Vector512.Create((byte)2), Vector512.Create((byte)64));
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

        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        float* s0 = QuantizedActivations.Scales(act, pairs);
        float* s1 = QuantizedActivations.Scales(act + actStride, pairs);
        sbyte* q0 = (sbyte*)act;
        sbyte* q1 = (sbyte*)(act + actStride);
        byte* p0 = r0, p1 = r1, p2 = r2, p3 = r3;
        // Rows of a few KB are short streams that the hardware prefetchers pick up late, so the
        // tile prefetches the caller's next region (the next tile's rows) while it computes.
        byte* prefetchEnd = prefetch + prefetchBytes;
        int prefetchStep = (prefetchBytes / pairs + 63) & ~63;

        for (int p = 0; p < pairs; p++, p0 += pairBytes, p1 += pairBytes, p2 += pairBytes, p3 += pairBytes)
        {
            if (prefetch < prefetchEnd)
            {
                for (int i = 0; i < prefetchStep; i += 64)
                {
                    Memory.Prefetch(prefetch + i);
                }
                prefetch += prefetchStep;
            }
            if (p == last)
            {
                p0 = tails;
                p1 = tails + 128;
                p2 = tails + 256;
                p3 = tails + 384;
            }
            var raw0 = Vector512.Load(p0);
            var raw1 = Vector512.Load(p1);
            var raw2 = Vector512.Load(p2);
            var raw3 = Vector512.Load(p3);
            var d = TileScales(raw0, raw1, raw2, raw3, gather01, gather23);
            var m = q41 ? TileScales(raw0, raw1, raw2, raw3, gatherMin01, gatherMin23) : default;

            // Activation side, shared by the four weight rows.
            var y0 = Vector512.Load(q0 + 64 * p);
            var dy0 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s0 + 2 * p)).AsSingle(), pairIndex);
            var sd0 = d * dy0;
            Vector512<sbyte> y1 = default;
            Vector512<float> sd1 = default, dy1 = default;
            if (TA.Value > 1)
            {
                y1 = Vector512.Load(q1 + 64 * p);
                dy1 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s1 + 2 * p)).AsSingle(), pairIndex);
                sd1 = d * dy1;
            }
            Vector512<short> off0 = default, off1 = default;
            Vector512<float> ys0 = default, ys1 = default;
            if (q40)
            {
                // 8 * (pair sums of y): subtracting it turns the unsigned nibbles q into q - 8.
                off0 = Avx512BW.MultiplyAddAdjacent(eights, y0);
                if (TA.Value > 1) off1 = Avx512BW.MultiplyAddAdjacent(eights, y1);
            }
            else if (q41)
            {
                // d_y * (sum of y over each lane's 4 values): the minimum's share, m * sum(d_y q_y).
                var bcast0 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s0 + 2 * p)).AsSingle(), row0);
                ys0 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y0), ones16)) * bcast0;
                if (TA.Value > 1)
                {
                    var bcast1 = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)(s1 + 2 * p)).AsSingle(), row0);
                    ys1 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y1), ones16)) * bcast1;
                }
            }

            if (q80)
            {
                var w0 = Avx512Vbmi.PermuteVar64x8x2(raw0, q8Values, Vector512.Load(p0 + 4)).AsSByte();
                var w1 = Avx512Vbmi.PermuteVar64x8x2(raw1, q8Values, Vector512.Load(p1 + 4)).AsSByte();
                var w2 = Avx512Vbmi.PermuteVar64x8x2(raw2, q8Values, Vector512.Load(p2 + 4)).AsSByte();
                var w3 = Avx512Vbmi.PermuteVar64x8x2(raw3, q8Values, Vector512.Load(p3 + 4)).AsSByte();
                c00 = DotQ8(w0, y0, sd0, row0, ones16, c00);
                c01 = DotQ8(w1, y0, sd0, row1, ones16, c01);
                c02 = DotQ8(w2, y0, sd0, row2, ones16, c02);
                c03 = DotQ8(w3, y0, sd0, row3, ones16, c03);
                if (TA.Value > 1)
                {
                    c10 = DotQ8(w0, y1, sd1, row0, ones16, c10);
                    c11 = DotQ8(w1, y1, sd1, row1, ones16, c11);
                    c12 = DotQ8(w2, y1, sd1, row2, ones16, c12);
                    c13 = DotQ8(w3, y1, sd1, row3, ones16, c13);
                }
            }
            else
            {
                var w0 = Nibbles(raw0, nibbles, nibbleShift, low);
                var w1 = Nibbles(raw1, nibbles, nibbleShift, low);
                var w2 = Nibbles(raw2, nibbles, nibbleShift, low);
                var w3 = Nibbles(raw3, nibbles, nibbleShift, low);
                c00 = DotQ4(w0, y0, off0, sd0, row0, ones16, q40, c00);
                c01 = DotQ4(w1, y0, off0, sd0, row1, ones16, q40, c01);
                c02 = DotQ4(w2, y0, off0, sd0, row2, ones16, q40, c02);
                c03 = DotQ4(w3, y0, off0, sd0, row3, ones16, q40, c03);
                if (q41)
                {
                    c00 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys0, c00);
                    c01 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys0, c01);
                    c02 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys0, c02);
                    c03 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys0, c03);
                }
                if (TA.Value > 1)
                {
                    c10 = DotQ4(w0, y1, off1, sd1, row0, ones16, q40, c10);
                    c11 = DotQ4(w1, y1, off1, sd1, row1, ones16, q40, c11);
                    c12 = DotQ4(w2, y1, off1, sd1, row2, ones16, q40, c12);
                    c13 = DotQ4(w3, y1, off1, sd1, row3, ones16, q40, c13);
                    if (q41)
                    {
                        c10 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row0), ys1, c10);
                        c11 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row1), ys1, c11);
                        c12 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row2), ys1, c12);
                        c13 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(m, row3), ys1, c13);
                    }
                }
            }
        }
        y[0] = V512.Sum(c00);
        if (valid > 1) y[1] = V512.Sum(c01);
        if (valid > 2) y[2] = V512.Sum(c02);
        if (valid > 3) y[3] = V512.Sum(c03);
        if (TA.Value > 1)
        {
            y += yStride;
            y[0] = V512.Sum(c10);
            if (valid > 1) y[1] = V512.Sum(c11);
            if (valid > 2) y[2] = V512.Sum(c12);
            if (valid > 3) y[3] = V512.Sum(c13);
        }
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

    /// <summary>Q8_0: |w| · (y · sign(w)) through vpmaddubsw (its first operand is unsigned; |-128| = 128 fits a byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> DotQ8(Vector512<sbyte> w, Vector512<sbyte> y, Vector512<float> scales, Vector512<int> row,
        Vector512<short> ones16, Vector512<float> acc)
    {
        var negative = Avx512BW.CompareLessThan(w, Vector512<sbyte>.Zero);
        var signed = (y ^ negative) - negative;
        var dot = Avx512F.ConvertToVector512Single(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(w), signed), ones16));
        return Avx512F.FusedMultiplyAdd(dot, Avx512F.PermuteVar16x32(scales, row), acc);
    }

    // ---------------------------------------------------------------- AVX2 / AVX-VNNI
    // One 256-bit vector per block (8 int32 lanes), one (weight row, activation row) pair at a time.

    /// <summary>Dot product of one weight row with one quantized activation row (AVX2, optionally AVX-VNNI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2<TW>(byte* w, int blocks, byte* act, bool vnni) where TW : struct, IQuantFormat
    {
        int pairs = (blocks + 1) / 2;
        float* scales = QuantizedActivations.Scales(act, pairs);
        sbyte* q = (sbyte*)act;
        var acc = Vector256<float>.Zero;
        var ones16 = Vector256.Create((short)1);
        var eights = Vector256.Create((byte)8);
        var onesU8 = Vector256.Create((byte)1);
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++, w += TW.BlockBytes)
        {
            var y = Vector256.Load(q + 32 * b);
            float dy = scales[b];
            Vector256<int> dot;
            float d = HalfBits.ToSingle(*(ushort*)w);
            if (typeof(TW) == typeof(Q8_0Format))
            {
                var v = Vector256.Load((sbyte*)(w + 2));
                var magnitude = Avx2.Abs(v);
                var signed = Avx2.Sign(y, v);
                dot = vnni
                    ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, magnitude, signed)
                    : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, signed), ones16);
            }
            else
            {
                bool q40 = typeof(TW) == typeof(Q4_0Format);
                var packed = Vector128.Load(w + (q40 ? 2 : 4));
                var v = Vector256.Create(packed & low, (packed.AsUInt16() >> 4).AsByte() & low);
                if (vnni)
                {
                    dot = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, v, y);
                    if (q40) dot -= AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, eights, y);
                }
                else
                {
                    var pairsDot = Avx2.MultiplyAddAdjacent(v, y);
                    if (q40) pairsDot -= Avx2.MultiplyAddAdjacent(eights, y);
                    dot = Avx2.MultiplyAddAdjacent(pairsDot, ones16);
                }
                if (!q40)
                {
                    float m = HalfBits.ToSingle(*(ushort*)(w + 2));
                    var sums = vnni
                        ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, onesU8, y)
                        : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(onesU8, y), ones16);
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(m * dy), acc);
                }
            }
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(d * dy), acc);
        }
        return V256.Sum(acc);
    }

    // ---------------------------------------------------------------- portable (Vector128) and scalar
    // Per block an exact int32 dot product, then acc += isum * (d * dy) (+ (m * dy) * sum(q_y) for
    // Q4_1) in float32: both levels perform the same float operations, so they agree bit for bit.

    /// <summary>Dot product of one weight row with one quantized activation row, portable code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotPortable<TW>(byte* w, int blocks, byte* act, bool vector) where TW : struct, IQuantFormat
    {
        int pairs = (blocks + 1) / 2;
        float* scales = QuantizedActivations.Scales(act, pairs);
        sbyte* q = (sbyte*)act;
        float acc = 0f;
        for (int b = 0; b < blocks; b++, w += TW.BlockBytes)
        {
            sbyte* y = q + 32 * b;
            float dy = scales[b];
            float d = HalfBits.ToSingle(*(ushort*)w);
            int isum;
            if (typeof(TW) == typeof(Q8_0Format))
            {
                isum = vector ? DotI8Vector((sbyte*)(w + 2), y) : DotI8Scalar((sbyte*)(w + 2), y);
                acc += isum * (d * dy);
            }
            else
            {
                bool q40 = typeof(TW) == typeof(Q4_0Format);
                byte* packed = w + (q40 ? 2 : 4);
                isum = vector ? DotNibblesVector(packed, y, q40 ? 8 : 0) : DotNibblesScalar(packed, y, q40 ? 8 : 0);
                acc += isum * (d * dy);
                if (!q40)
                {
                    float m = HalfBits.ToSingle(*(ushort*)(w + 2));
                    int ysum = 0;
                    for (int i = 0; i < 32; i++)
                    {
                        ysum += y[i];
                    }
                    acc += ysum * (m * dy);
                }
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

    private static int DotNibblesVector(byte* packed, sbyte* y, int offset)
    {
        var bytes = Vector128.Load(packed);
        var off = Vector128.Create((short)offset);
        var (l0, l1) = Vector128.Widen(bytes & Vector128.Create((byte)0x0F));
        var (h0, h1) = Vector128.Widen(bytes >>> 4);
        var (y0, y1) = Vector128.Widen(Vector128.Load(y));
        var (y2, y3) = Vector128.Widen(Vector128.Load(y + 16));
        // |q - 8| <= 8 and |y| <= 128: each int16 product is at most 1024, and two sum to at most 2048.
        var lo = (l0.AsInt16() - off) * y0 + (l1.AsInt16() - off) * y1;
        var hi = (h0.AsInt16() - off) * y2 + (h1.AsInt16() - off) * y3;
        var (a, b) = Vector128.Widen(lo);
        var (c, d) = Vector128.Widen(hi);
        return Vector128.Sum((a + b) + (c + d));
    }
}
