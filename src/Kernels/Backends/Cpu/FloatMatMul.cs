using System.Runtime.CompilerServices;

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
}
