using System.Runtime.CompilerServices;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Vectorized element-wise operators, generic over the vector width (see <see cref="IVec{TV}"/>),
/// each with a scalar tail. Every output element depends only on its own inputs (and, for RMSNorm,
/// on its row), so splitting rows or ranges among threads cannot change a result.
/// </summary>
internal static unsafe class ElementwiseKernels
{
    /// <summary>x[i] += b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add<TV, TO>(float* x, float* b, int n) where TV : struct where TO : struct, IVec<TV>
    {
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            TO.Store(x + i, TO.Add(TO.Load(x + i), TO.Load(b + i)));
        }
        for (; i < n; i++)
        {
            x[i] += b[i];
        }
    }

    /// <summary>
    /// y[i] = silu(g[i]) * u[i] = g / (1 + e^-g) * u. The tail runs through the same vector code on a
    /// padded copy, so an element's result does not depend on where the range starts or ends (a
    /// batched call equals row-by-row calls bit for bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGlu<TV, TO>(float* g, float* u, float* y, int n) where TV : struct where TO : struct, IVec<TV>
    {
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            TO.Store(y + i, SwiGlu<TV, TO>(TO.Load(g + i), TO.Load(u + i)));
        }
        int rest = n - i;
        if (rest > 0)
        {
            float* pg = stackalloc float[16];
            float* pu = stackalloc float[16];
            for (int j = 0; j < rest; j++)
            {
                pg[j] = g[i + j];
                pu[j] = u[i + j];
            }
            TO.Store(pg, SwiGlu<TV, TO>(TO.Load(pg), TO.Load(pu)));
            for (int j = 0; j < rest; j++)
            {
                y[i + j] = pg[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SwiGlu<TV, TO>(TV g, TV u) where TV : struct where TO : struct, IVec<TV> =>
        TO.Div(TO.Mul(g, u), TO.Add(TO.Splat(1f), TO.Exp(TO.Sub(TO.Zero, g))));

    /// <summary>Sum of squares of <paramref name="n"/> floats, float32 lanes reduced in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares<TV, TO>(float* x, int n) where TV : struct where TO : struct, IVec<TV>
    {
        var a0 = TO.Zero;
        var a1 = TO.Zero;
        int i = 0;
        for (; i <= n - 2 * TO.Count; i += 2 * TO.Count)
        {
            var v0 = TO.Load(x + i);
            var v1 = TO.Load(x + i + TO.Count);
            a0 = TO.Fma(v0, v0, a0);
            a1 = TO.Fma(v1, v1, a1);
        }
        for (; i <= n - TO.Count; i += TO.Count)
        {
            var v0 = TO.Load(x + i);
            a0 = TO.Fma(v0, v0, a0);
        }
        double sum = TO.Sum(TO.Add(a0, a1));
        for (; i < n; i++)
        {
            sum += (double)x[i] * x[i];
        }
        return sum;
    }

    /// <summary>y[i] = x[i] * scale * g[i] (x may equal y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleByGain<TV, TO>(float* x, float scale, float* g, float* y, int n) where TV : struct where TO : struct, IVec<TV>
    {
        var s = TO.Splat(scale);
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            TO.Store(y + i, TO.Mul(TO.Mul(TO.Load(x + i), s), TO.Load(g + i)));
        }
        for (; i < n; i++)
        {
            y[i] = x[i] * scale * g[i];
        }
    }

    /// <summary>One RMSNorm row: y = x / sqrt(mean(x^2) + eps) * g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNormRow<TV, TO>(float* x, float* g, float* y, int n, float epsilon) where TV : struct where TO : struct, IVec<TV>
    {
        double sum = SumOfSquares<TV, TO>(x, n);
        float inverse = (float)(1.0 / Math.Sqrt(sum / n + epsilon));
        ScaleByGain<TV, TO>(x, inverse, g, y, n);
    }

    /// <summary>
    /// Rotates the heads of one row. <paramref name="cos"/> and <paramref name="sin"/> hold, for this
    /// position, one entry per dimension of a head: for adjacent pairs c[2i] = c[2i+1] = cos_i and
    /// s[2i] = -sin_i, s[2i+1] = sin_i; for half-split pairs c[i] = c[i+h] = cos_i and s[i] = -sin_i,
    /// s[i+h] = sin_i. Then out = x * c + partner(x) * s for both styles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RopeRow<TV, TO>(float* x, int heads, int headDim, float* cos, float* sin, RopeStyle style)
        where TV : struct where TO : struct, IVec<TV>
    {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
        {
            float* head = x + h * headDim;
            int i = 0;
            if (style == RopeStyle.AdjacentPairs)
            {
                if (TO.Count > 1)
                {
                    for (; i <= headDim - TO.Count; i += TO.Count)
                    {
                        var v = TO.Load(head + i);
                        TO.Store(head + i, TO.Fma(v, TO.Load(cos + i), TO.Mul(TO.SwapPairs(v), TO.Load(sin + i))));
                    }
                }
                for (; i + 1 < headDim; i += 2)
                {
                    float x0 = head[i], x1 = head[i + 1];
                    head[i] = x0 * cos[i] + x1 * sin[i];
                    head[i + 1] = x1 * cos[i + 1] + x0 * sin[i + 1];
                }
            }
            else
            {
                for (; i <= half - TO.Count; i += TO.Count)
                {
                    var lo = TO.Load(head + i);
                    var hi = TO.Load(head + half + i);
                    TO.Store(head + i, TO.Fma(lo, TO.Load(cos + i), TO.Mul(hi, TO.Load(sin + i))));
                    TO.Store(head + half + i, TO.Fma(hi, TO.Load(cos + half + i), TO.Mul(lo, TO.Load(sin + half + i))));
                }
                for (; i < half; i++)
                {
                    float lo = head[i], hi = head[half + i];
                    head[i] = lo * cos[i] + hi * sin[i];
                    head[half + i] = hi * cos[half + i] + lo * sin[half + i];
                }
            }
        }
    }

    /// <summary>sum_i a[i] * b[i] in float32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TV, TO>(float* a, float* b, int n) where TV : struct where TO : struct, IVec<TV>
    {
        var a0 = TO.Zero;
        var a1 = TO.Zero;
        int i = 0;
        for (; i <= n - 2 * TO.Count; i += 2 * TO.Count)
        {
            a0 = TO.Fma(TO.Load(a + i), TO.Load(b + i), a0);
            a1 = TO.Fma(TO.Load(a + i + TO.Count), TO.Load(b + i + TO.Count), a1);
        }
        for (; i <= n - TO.Count; i += TO.Count)
        {
            a0 = TO.Fma(TO.Load(a + i), TO.Load(b + i), a0);
        }
        float sum = TO.Sum(TO.Add(a0, a1));
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /// <summary>y[i] = y[i] * scale + p * v[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAndAdd<TV, TO>(float* y, float scale, float p, float* v, int n) where TV : struct where TO : struct, IVec<TV>
    {
        var s = TO.Splat(scale);
        var pv = TO.Splat(p);
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            TO.Store(y + i, TO.Fma(pv, TO.Load(v + i), TO.Mul(TO.Load(y + i), s)));
        }
        for (; i < n; i++)
        {
            y[i] = y[i] * scale + p * v[i];
        }
    }

    /// <summary>y[i] += p * v[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy<TV, TO>(float* y, float p, float* v, int n) where TV : struct where TO : struct, IVec<TV>
    {
        var pv = TO.Splat(p);
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            TO.Store(y + i, TO.Fma(pv, TO.Load(v + i), TO.Load(y + i)));
        }
        for (; i < n; i++)
        {
            y[i] += p * v[i];
        }
    }

    /// <summary>x[i] = exp(x[i] - shift); returns the sum of the results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpShiftSum<TV, TO>(float* x, int n, float shift) where TV : struct where TO : struct, IVec<TV>
    {
        var m = TO.Splat(shift);
        var acc = TO.Zero;
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            var e = TO.Exp(TO.Sub(TO.Load(x + i), m));
            TO.Store(x + i, e);
            acc = TO.Add(acc, e);
        }
        float sum = TO.Sum(acc);
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>The largest of <paramref name="n"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max<TV, TO>(float* x, int n) where TV : struct where TO : struct, IVec<TV>
    {
        float best = float.NegativeInfinity;
        int i = 0;
        if (n >= TO.Count)
        {
            var acc = TO.Load(x);
            for (i = TO.Count; i <= n - TO.Count; i += TO.Count)
            {
                acc = TO.Max(acc, TO.Load(x + i));
            }
            best = TO.MaxAcross(acc);
        }
        for (; i < n; i++)
        {
            best = MathF.Max(best, x[i]);
        }
        return best;
    }

    /// <summary>x[i] *= s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale<TV, TO>(float* x, float s, int n) where TV : struct where TO : struct, IVec<TV>
    {
        var sv = TO.Splat(s);
        int i = 0;
        for (; i <= n - TO.Count; i += TO.Count)
        {
            TO.Store(x + i, TO.Mul(TO.Load(x + i), sv));
        }
        for (; i < n; i++)
        {
            x[i] *= s;
        }
    }
}
