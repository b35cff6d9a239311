using System.Numerics;
using System.Runtime.InteropServices;

namespace QuantRuntime.Training.Compute;

/// <summary>Element-wise and reduction helpers over float spans, vectorised with <see cref="Vector{T}"/>; fixed summation order.</summary>
internal static class VectorMath
{
    /// <summary>Σ x[i]·y[i], accumulated lane-wise then summed lane by lane.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int n = x.Length;
        int w = Vector<float>.Count;
        var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
        var yv = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
        var acc = Vector<float>.Zero;
        for (int i = 0; i < xv.Length; i++)
        {
            acc = Vector.FusedMultiplyAdd(xv[i], yv[i], acc);
        }
        float sum = Vector.Sum(acc);
        for (int i = xv.Length * w; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        }
        return sum;
    }

    /// <summary>y[i] += a·x[i].</summary>
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length;
        int w = Vector<float>.Count;
        var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
        var yv = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
        var av = new Vector<float>(a);
        for (int i = 0; i < xv.Length; i++)
        {
            yv[i] = Vector.FusedMultiplyAdd(av, xv[i], yv[i]);
        }
        for (int i = xv.Length * w; i < n; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
        }
    }

    /// <summary>y[i] += x[i].</summary>
    public static void Add(ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length;
        int w = Vector<float>.Count;
        var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
        var yv = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
        for (int i = 0; i < xv.Length; i++)
        {
            yv[i] += xv[i];
        }
        for (int i = xv.Length * w; i < n; i++)
        {
            y[i] += x[i];
        }
    }

    /// <summary>x[i] *= a.</summary>
    public static void Scale(Span<float> x, float a)
    {
        int n = x.Length;
        int w = Vector<float>.Count;
        var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
        var av = new Vector<float>(a);
        for (int i = 0; i < xv.Length; i++)
        {
            xv[i] *= av;
        }
        for (int i = xv.Length * w; i < n; i++)
        {
            x[i] *= a;
        }
    }

    /// <summary>Σ x[i]² in double, in fixed blocks, for norms that must not overflow or drift.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double total = 0;
        const int Block = 4096;
        for (int start = 0; start < x.Length; start += Block)
        {
            var block = x.Slice(start, Math.Min(Block, x.Length - start));
            total += Dot(block, block);
        }
        return total;
    }
}
