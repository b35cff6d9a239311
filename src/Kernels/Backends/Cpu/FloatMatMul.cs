using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>How a row of float weights is stored: F32, F16 or BF16, widened exactly to float32.</summary>
internal unsafe interface IFloatRow
{
    static abstract int ElementBytes { get; }
    static abstract TV Load<TV, TO>(byte* row, int index) where TV : struct where TO : struct, IVec<TV>;
}

internal unsafe struct F32Row : IFloatRow
{
    public static int ElementBytes => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TO>(byte* row, int index) where TV : struct where TO : struct, IVec<TV> => TO.Load((float*)row + index);
}

internal unsafe struct F16Row : IFloatRow
{
    public static int ElementBytes => 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TO>(byte* row, int index) where TV : struct where TO : struct, IVec<TV> => TO.LoadHalf((ushort*)row + index);
}

internal unsafe struct BF16Row : IFloatRow
{
    public static int ElementBytes => 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TO>(byte* row, int index) where TV : struct where TO : struct, IVec<TV> => TO.LoadBFloat16((ushort*)row + index);
}

/// <summary>
/// y = x·Wᵀ for float weights (F32, F16, BF16, and K-quant rows dequantized to F32). A tile is four
/// weight rows against one to four activation rows: each weight vector is loaded (and widened) once
/// for all the activation rows of the tile and each activation vector once for the four weight rows.
/// Every (activation row, weight row) pair has its own accumulator and the same sequence of
/// operations whatever the tile, so a result does not depend on tiling or threads.
/// </summary>
internal static unsafe class FloatMatMul
{
    /// <summary>
    /// Computes outputs for weight rows <c>w[0..3]</c> (pass a valid row more than once to fill a
    /// short tile; only the first <paramref name="valid"/> are written) and <typeparamref name="TA"/>
    /// activation rows starting at <paramref name="x"/> (stride <paramref name="k"/>), writing
    /// y[a * yStride + o].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TV, TO, TF, TA>(byte* w0, byte* w1, byte* w2, byte* w3, int valid, int k, float* x, float* y, int yStride,
        byte* prefetch, int prefetchBytes)
        where TV : struct where TO : struct, IVec<TV> where TF : struct, IFloatRow where TA : struct, IConst
    {
        // Prefetch the caller's next region (the next tile's rows): rows are short streams that
        // the hardware prefetchers pick up late.
        byte* prefetchEnd = prefetch + prefetchBytes;
        int iterations = Math.Max(1, k / TO.Count);
        int prefetchStep = (prefetchBytes / iterations + 63) & ~63;
        TV c00 = TO.Zero, c01 = TO.Zero, c02 = TO.Zero, c03 = TO.Zero;
        TV c10 = TO.Zero, c11 = TO.Zero, c12 = TO.Zero, c13 = TO.Zero;
        TV c20 = TO.Zero, c21 = TO.Zero, c22 = TO.Zero, c23 = TO.Zero;
        TV c30 = TO.Zero, c31 = TO.Zero, c32 = TO.Zero, c33 = TO.Zero;
        float* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        int i = 0;
        for (; i <= k - TO.Count; i += TO.Count)
        {
            if (prefetch < prefetchEnd)
            {
                for (int j = 0; j < prefetchStep; j += 64)
                {
                    Memory.Prefetch(prefetch + j);
                }
                prefetch += prefetchStep;
            }
            var v0 = TF.Load<TV, TO>(w0, i);
            var v1 = TF.Load<TV, TO>(w1, i);
            var v2 = TF.Load<TV, TO>(w2, i);
            var v3 = TF.Load<TV, TO>(w3, i);
            var a = TO.Load(x + i);
            c00 = TO.Fma(v0, a, c00); c01 = TO.Fma(v1, a, c01); c02 = TO.Fma(v2, a, c02); c03 = TO.Fma(v3, a, c03);
            if (TA.Value > 1)
            {
                a = TO.Load(x1 + i);
                c10 = TO.Fma(v0, a, c10); c11 = TO.Fma(v1, a, c11); c12 = TO.Fma(v2, a, c12); c13 = TO.Fma(v3, a, c13);
            }
            if (TA.Value > 2)
            {
                a = TO.Load(x2 + i);
                c20 = TO.Fma(v0, a, c20); c21 = TO.Fma(v1, a, c21); c22 = TO.Fma(v2, a, c22); c23 = TO.Fma(v3, a, c23);
            }
            if (TA.Value > 3)
            {
                a = TO.Load(x3 + i);
                c30 = TO.Fma(v0, a, c30); c31 = TO.Fma(v1, a, c31); c32 = TO.Fma(v2, a, c32); c33 = TO.Fma(v3, a, c33);
            }
        }
        Finish<TV, TO, TF>(c00, c01, c02, c03, w0, w1, w2, w3, valid, i, k, x, y);
        if (TA.Value > 1) Finish<TV, TO, TF>(c10, c11, c12, c13, w0, w1, w2, w3, valid, i, k, x1, y + yStride);
        if (TA.Value > 2) Finish<TV, TO, TF>(c20, c21, c22, c23, w0, w1, w2, w3, valid, i, k, x2, y + 2 * yStride);
        if (TA.Value > 3) Finish<TV, TO, TF>(c30, c31, c32, c33, w0, w1, w2, w3, valid, i, k, x3, y + 3 * yStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TV, TO, TF>(TV c0, TV c1, TV c2, TV c3, byte* w0, byte* w1, byte* w2, byte* w3, int valid,
        int start, int k, float* x, float* y) where TV : struct where TO : struct, IVec<TV> where TF : struct, IFloatRow
    {
        y[0] = TO.Sum(c0) + Tail<TF>(w0, x, start, k);
        if (valid > 1) y[1] = TO.Sum(c1) + Tail<TF>(w1, x, start, k);
        if (valid > 2) y[2] = TO.Sum(c2) + Tail<TF>(w2, x, start, k);
        if (valid > 3) y[3] = TO.Sum(c3) + Tail<TF>(w3, x, start, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<TF>(byte* w, float* x, int start, int k) where TF : struct, IFloatRow
    {
        float sum = 0f;
        for (int i = start; i < k; i++)
        {
            sum += TF.Load<float, S1>(w, i) * x[i];
        }
        return sum;
    }

    /// <summary>
    /// Permutes activation rows for <see cref="TileF16Avx512{TA}"/>: per 32 values, first the ones
    /// vpunpcklwd brings out of a 64-byte load of halves (x[8L + j], lane L, j &lt; 4), then those
    /// vpunpckhwd brings (x[8L + 4 + j]). The tail (k mod 32) is not used.
    /// </summary>
    public static void PermuteForF16(float* x, float* permuted, int k)
    {
        for (int c = 0; c + 32 <= k; c += 32)
        {
            for (int lane = 0; lane < 4; lane++)
            {
                for (int j = 0; j < 4; j++)
                {
                    permuted[c + 4 * lane + j] = x[c + 8 * lane + j];
                    permuted[c + 16 + 4 * lane + j] = x[c + 8 * lane + 4 + j];
                }
            }
        }
    }

    /// <summary>
    /// F16 weights on AVX-512: per 32 halves of a row one 64-byte load, vpunpcklwd/vpunpckhwd with
    /// zero put each half in the high word of a dword, and an arithmetic shift, a mask and a multiply
    /// by 2^112 widen them exactly (infinities and NaN, detected per load, take a slower exact fix).
    /// The activations are pre-permuted to the unpacked order (<see cref="PermuteForF16"/>); the
    /// tail beyond the last 32 runs in scalar order from <paramref name="x"/>. One accumulator per
    /// (weight row, activation row), the same operations whatever the tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileF16Avx512<TA>(byte* w0, byte* w1, byte* w2, byte* w3, int valid, int k, float* x, float* xp, float* y, int yStride,
        byte* prefetch, int prefetchBytes) where TA : struct, IConst
    {
        byte* prefetchEnd = prefetch + prefetchBytes;
        int iterations = Math.Max(1, k / 32);
        int prefetchStep = (prefetchBytes / iterations + 63) & ~63;
        var zero = Vector512<ushort>.Zero;
        var exponentMask = Vector512.Create((ushort)0x7C00);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            if (prefetch < prefetchEnd)
            {
                for (int j = 0; j < prefetchStep; j += 64)
                {
                    Memory.Prefetch(prefetch + j);
                }
                prefetch += prefetchStep;
            }
            var h0 = Vector512.Load((ushort*)w0 + i);
            var h1 = Vector512.Load((ushort*)w1 + i);
            var h2 = Vector512.Load((ushort*)w2 + i);
            var h3 = Vector512.Load((ushort*)w3 + i);
            bool special = Vector512.EqualsAny(h0 & exponentMask, exponentMask) | Vector512.EqualsAny(h1 & exponentMask, exponentMask)
                | Vector512.EqualsAny(h2 & exponentMask, exponentMask) | Vector512.EqualsAny(h3 & exponentMask, exponentMask);
            var l0 = Widen(Avx512BW.UnpackLow(zero, h0), special);
            var u0 = Widen(Avx512BW.UnpackHigh(zero, h0), special);
            var l1 = Widen(Avx512BW.UnpackLow(zero, h1), special);
            var u1 = Widen(Avx512BW.UnpackHigh(zero, h1), special);
            var l2 = Widen(Avx512BW.UnpackLow(zero, h2), special);
            var u2 = Widen(Avx512BW.UnpackHigh(zero, h2), special);
            var l3 = Widen(Avx512BW.UnpackLow(zero, h3), special);
            var u3 = Widen(Avx512BW.UnpackHigh(zero, h3), special);
            var xl0 = Vector512.Load(xp + 0 * k + i);
            var xu0 = Vector512.Load(xp + 0 * k + i + 16);
            c00 = Avx512F.FusedMultiplyAdd(u0, xu0, Avx512F.FusedMultiplyAdd(l0, xl0, c00));
            c01 = Avx512F.FusedMultiplyAdd(u1, xu0, Avx512F.FusedMultiplyAdd(l1, xl0, c01));
            c02 = Avx512F.FusedMultiplyAdd(u2, xu0, Avx512F.FusedMultiplyAdd(l2, xl0, c02));
            c03 = Avx512F.FusedMultiplyAdd(u3, xu0, Avx512F.FusedMultiplyAdd(l3, xl0, c03));
            if (TA.Value > 1)
            {
                var xl1 = Vector512.Load(xp + 1 * k + i);
                var xu1 = Vector512.Load(xp + 1 * k + i + 16);
                c10 = Avx512F.FusedMultiplyAdd(u0, xu1, Avx512F.FusedMultiplyAdd(l0, xl1, c10));
                c11 = Avx512F.FusedMultiplyAdd(u1, xu1, Avx512F.FusedMultiplyAdd(l1, xl1, c11));
                c12 = Avx512F.FusedMultiplyAdd(u2, xu1, Avx512F.FusedMultiplyAdd(l2, xl1, c12));
                c13 = Avx512F.FusedMultiplyAdd(u3, xu1, Avx512F.FusedMultiplyAdd(l3, xl1, c13));
            }
            if (TA.Value > 2)
            {
                var xl2 = Vector512.Load(xp + 2 * k + i);
                var xu2 = Vector512.Load(xp + 2 * k + i + 16);
                c20 = Avx512F.FusedMultiplyAdd(u0, xu2, Avx512F.FusedMultiplyAdd(l0, xl2, c20));
                c21 = Avx512F.FusedMultiplyAdd(u1, xu2, Avx512F.FusedMultiplyAdd(l1, xl2, c21));
                c22 = Avx512F.FusedMultiplyAdd(u2, xu2, Avx512F.FusedMultiplyAdd(l2, xl2, c22));
                c23 = Avx512F.FusedMultiplyAdd(u3, xu2, Avx512F.FusedMultiplyAdd(l3, xl2, c23));
            }
            if (TA.Value > 3)
            {
                var xl3 = Vector512.Load(xp + 3 * k + i);
                var xu3 = Vector512.Load(xp + 3 * k + i + 16);
                c30 = Avx512F.FusedMultiplyAdd(u0, xu3, Avx512F.FusedMultiplyAdd(l0, xl3, c30));
                c31 = Avx512F.FusedMultiplyAdd(u1, xu3, Avx512F.FusedMultiplyAdd(l1, xl3, c31));
                c32 = Avx512F.FusedMultiplyAdd(u2, xu3, Avx512F.FusedMultiplyAdd(l2, xl3, c32));
                c33 = Avx512F.FusedMultiplyAdd(u3, xu3, Avx512F.FusedMultiplyAdd(l3, xl3, c33));
            }
        }
        FinishF16(c00, c01, c02, c03, w0, w1, w2, w3, valid, i, k, x + 0 * k, y + 0 * yStride);
        if (TA.Value > 1)
        {
            FinishF16(c10, c11, c12, c13, w0, w1, w2, w3, valid, i, k, x + 1 * k, y + 1 * yStride);
        }
        if (TA.Value > 2)
        {
            FinishF16(c20, c21, c22, c23, w0, w1, w2, w3, valid, i, k, x + 2 * k, y + 2 * yStride);
        }
        if (TA.Value > 3)
        {
            FinishF16(c30, c31, c32, c33, w0, w1, w2, w3, valid, i, k, x + 3 * k, y + 3 * yStride);
        }
    }

    /// <summary>Exact widening of halves sitting in the high word of each dword.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<ushort> unpacked, bool special)
    {
        var high = unpacked.AsInt32();
        var value = ((high >> 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector512.Create(HalfBits.Rebias);
        if (special)
        {
            var infOrNaN = Vector512.Equals(high & Vector512.Create(0x7C000000), Vector512.Create(0x7C000000)) & Vector512.Create(0x7F800000);
            value = (value.AsInt32() | infOrNaN).AsSingle();
        }
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishF16(Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3,
        byte* w0, byte* w1, byte* w2, byte* w3, int valid, int start, int k, float* x, float* y)
    {
        y[0] = V512.Sum(c0) + Tail<F16Row>(w0, x, start, k);
        if (valid > 1) y[1] = V512.Sum(c1) + Tail<F16Row>(w1, x, start, k);
        if (valid > 2) y[2] = V512.Sum(c2) + Tail<F16Row>(w2, x, start, k);
        if (valid > 3) y[3] = V512.Sum(c3) + Tail<F16Row>(w3, x, start, k);
    }

}
