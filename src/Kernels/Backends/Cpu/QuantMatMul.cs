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

    private static readonly Vector512<byte> Q4_0Nibbles = PairNibbleIndex(2, 18);
    private static readonly Vector512<byte> Q4_1Nibbles = PairNibbleIndex(4, 20);
    private static readonly Vector512<ushort> Q4_0Scale = PairWordIndex(0, 9);
    private static readonly Vector512<ushort> Q4_1Scale = PairWordIndex(0, 10);
    private static readonly Vector512<ushort> Q4_1Min = PairWordIndex(1, 11);
    private static readonly Vector512<ushort> Q8_0Scale = PairWordIndex(0, 17);
    private static readonly Vector512<byte> Q8_0Values = Q8PairIndex();
    private static readonly Vector512<ulong> NibbleShift = Vector512.Create(0ul, 0, 4, 4, 0, 0, 4, 4);

    /// <summary>vpermb control: 128-bit lanes 0,1 take the block at <paramref name="first"/>'s 16 bytes, lanes 2,3 the next block's.</summary>
    private static Vector512<byte> PairNibbleIndex(int first, int blockBytes)
    {
        var index = new byte[64];
        for (int i = 0; i < 64; i++)
        {
            index[i] = (byte)((i < 32 ? first : first + blockBytes) + i % 16);
        }
        return Vector512.Create(index);
    }

    /// <summary>vpermw control putting word <paramref name="a"/> in both halves of dwords 0-7 and word <paramref name="b"/> in dwords 8-15.</summary>
    private static Vector512<ushort> PairWordIndex(int a, int b)
    {
        var index = new ushort[32];
        for (int i = 0; i < 32; i++)
        {
            index[i] = (ushort)(i < 16 ? a : b);
        }
        return Vector512.Create(index);
    }

    /// <summary>vpermt2b control over (A = bytes 0..63, B = bytes 4..67 of a Q8_0 pair): the 32 values of each block.</summary>
    private static Vector512<byte> Q8PairIndex()
    {
        var index = new byte[64];
        for (int i = 0; i < 64; i++)
        {
            index[i] = (byte)(i < 32 ? 2 + i : 64 + i);
        }
        return Vector512.Create(index);
    }

    /// <summary>Widens fp16 scales placed by vpermw (each dword = h | h &lt;&lt; 16) exactly, for finite scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales(Vector512<byte> raw, Vector512<ushort> index)
    {
        var words = Avx512BW.PermuteVar32x16(raw.AsUInt16(), index).AsInt32();
        var bits = (words >> 3) & Vector512.Create(unchecked((int)0x8FFFE000));
        return bits.AsSingle() * Vector512.Create(HalfBits.Rebias);
    }

    /// <summary>
    /// A tile of the AVX-512 kernel: weight rows r0..r3 (<paramref name="valid"/> distinct, the rest
    /// repeats), <typeparamref name="TA"/> quantized activation rows at <paramref name="act"/>, outputs
    /// y[a * yStride + o].
    /// </summary>
    public static void TileAvx512<TW, TA>(byte* r0, byte* r1, byte* r2, byte* r3, int valid, int blocks,
        byte* act, int actStride, float* y, int yStride) where TW : struct, IQuantFormat where TA : struct, IConst
    {
        int pairs = (blocks + 1) / 2;
        int pairBytes = 2 * TW.BlockBytes;
        int last = pairs - 1;
        // The last pair of each row is read from a zeroed copy: it may be a lone block (odd count) and
        // a full-width load there could run past the end of the tensor.
        byte* tails = stackalloc byte[4 * 128];
        new Span<byte>(tails, 4 * 128).Clear();
        int tailBytes = (blocks - 2 * last) * TW.BlockBytes;
        Buffer.MemoryCopy(r0 + last * pairBytes, tails, 128, tailBytes);
        Buffer.MemoryCopy(r1 + last * pairBytes, tails + 128, 128, tailBytes);
        Buffer.MemoryCopy(r2 + last * pairBytes, tails + 256, 128, tailBytes);
        Buffer.MemoryCopy(r3 + last * pairBytes, tails + 384, 128, tailBytes);

        var ones16 = Vector512.Create((short)1);
        var eights = Vector512.Create((byte)8);
        var onesU8 = Vector512.Create((byte)1);
        var zero8 = Vector512<sbyte>.Zero;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        float* s0 = QuantizedActivations.Scales(act, pairs);
        float* s1 = QuantizedActivations.Scales(act + actStride, pairs);
        sbyte* q0 = (sbyte*)act;
        sbyte* q1 = (sbyte*)(act + actStride);

        for (int p = 0; p < pairs; p++)
        {
            bool isLast = p == last;
            byte* p0 = isLast ? tails : r0 + p * pairBytes;
            byte* p1 = isLast ? tails + 128 : r1 + p * pairBytes;
            byte* p2 = isLast ? tails + 256 : r2 + p * pairBytes;
            byte* p3 = isLast ? tails + 384 : r3 + p * pairBytes;

            // Activation side, shared by the four weight rows.
            var y0 = Vector512.Load(q0 + 64 * p);
            var dy0 = Vector512.Create(Vector256.Create(s0[2 * p]), Vector256.Create(s0[2 * p + 1]));
            Vector512<sbyte> y1 = default;
            Vector512<float> dy1 = default;
            if (TA.Value > 1)
            {
                y1 = Vector512.Load(q1 + 64 * p);
                dy1 = Vector512.Create(Vector256.Create(s1[2 * p]), Vector256.Create(s1[2 * p + 1]));
            }
            Vector512<short> off0 = default, off1 = default;
            Vector512<float> ys0 = default, ys1 = default;
            if (typeof(TW) == typeof(Q4_0Format))
            {
                // 8 * (pair sums of y): subtracting it turns the unsigned nibbles q into q - 8.
                off0 = Avx512BW.MultiplyAddAdjacent(eights, y0);
                if (TA.Value > 1) off1 = Avx512BW.MultiplyAddAdjacent(eights, y1);
            }
            else if (typeof(TW) == typeof(Q4_1Format))
            {
                // d_y * (sum of y over each lane's 4 values): the minimum's share, m * sum(d_y q_y).
                ys0 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y0), ones16)) * dy0;
                if (TA.Value > 1) ys1 = Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(onesU8, y1), ones16)) * dy1;
            }

            Step<TW, TA>(p0, y0, y1, dy0, dy1, off0, off1, ys0, ys1, ones16, zero8, ref c00, ref c10);
            Step<TW, TA>(p1, y0, y1, dy0, dy1, off0, off1, ys0, ys1, ones16, zero8, ref c01, ref c11);
            Step<TW, TA>(p2, y0, y1, dy0, dy1, off0, off1, ys0, ys1, ones16, zero8, ref c02, ref c12);
            Step<TW, TA>(p3, y0, y1, dy0, dy1, off0, off1, ys0, ys1, ones16, zero8, ref c03, ref c13);
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

    /// <summary>One weight row's pair of blocks against the tile's activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TW, TA>(byte* p, Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<float> dy0, Vector512<float> dy1,
        Vector512<short> off0, Vector512<short> off1, Vector512<float> ys0, Vector512<float> ys1,
        Vector512<short> ones16, Vector512<sbyte> zero8, ref Vector512<float> acc0, ref Vector512<float> acc1)
        where TW : struct, IQuantFormat where TA : struct, IConst
    {
        if (typeof(TW) == typeof(Q4_0Format) || typeof(TW) == typeof(Q4_1Format))
        {
            bool q40 = typeof(TW) == typeof(Q4_0Format);
            var raw = Vector512.Load(p);
            var spread = Avx512Vbmi.PermuteVar64x8(raw, q40 ? Q4_0Nibbles : Q4_1Nibbles);
            var w = Avx512F.ShiftRightLogicalVariable(spread.AsUInt64(), NibbleShift).AsByte() & Vector512.Create((byte)0x0F);
            var d = Scales(raw, q40 ? Q4_0Scale : Q4_1Scale);
            var m = q40 ? default : Scales(raw, Q4_1Min);
            var dot = Avx512BW.MultiplyAddAdjacent(w, y0);
            if (q40) dot -= off0;
            acc0 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(dot, ones16)), d * dy0, acc0);
            if (!q40) acc0 = Avx512F.FusedMultiplyAdd(m, ys0, acc0);
            if (TA.Value > 1)
            {
                dot = Avx512BW.MultiplyAddAdjacent(w, y1);
                if (q40) dot -= off1;
                acc1 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(dot, ones16)), d * dy1, acc1);
                if (!q40) acc1 = Avx512F.FusedMultiplyAdd(m, ys1, acc1);
            }
        }
        else
        {
            var a = Vector512.Load(p);
            var b = Vector512.Load(p + 4);
            var w = Avx512Vbmi.PermuteVar64x8x2(a, Q8_0Values, b).AsSByte();
            var d = Scales(a, Q8_0Scale);
            var magnitude = Avx512BW.Abs(w);
            var negative = Avx512BW.CompareLessThan(w, zero8);
            // |w| * (y * sign(w)): vpmaddubsw needs its first operand unsigned (|-128| = 128 fits a byte).
            var signed = (y0 ^ negative) - negative;
            acc0 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(
                Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, signed), ones16)), d * dy0, acc0);
            if (TA.Value > 1)
            {
                signed = (y1 ^ negative) - negative;
                acc1 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(
                    Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, signed), ones16)), d * dy1, acc1);
            }
        }
    }

    // ---------------------------------------------------------------- AVX2 / AVX-VNNI
    // One 256-bit vector per block (8 int32 lanes), one (weight row, activation row) pair at a time.

    /// <summary>Dot product of one weight row with one quantized activation row (AVX2, optionally AVX-VNNI).</summary>
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
