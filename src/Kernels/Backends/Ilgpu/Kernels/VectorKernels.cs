using System.Runtime.CompilerServices;
using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

/// <summary>Scalars of RoPE over rows of <c>Heads · HeadDim</c>.</summary>
internal struct RopeArgs
{
    public int Rows;
    public int Heads;
    public int HeadDim;
    public int StartPosition;
    public float Theta;
    /// <summary>1 for half-split pairs (x[i], x[i + d/2]), 0 for adjacent pairs (x[2i], x[2i+1]).</summary>
    public int HalfSplit;
}

/// <summary>A pair of floats.</summary>
internal struct Float2
{
    public float X, Y;
}

/// <summary>Computes a RoPE rotation; double precision where the device has fp64.</summary>
internal interface IRopeMath
{
    /// <summary>(x0, x1) rotated by position·theta^(−2i/headDim).</summary>
    Float2 Rotate(int position, int pair, int headDim, float theta, float x0, float x1);
}

/// <summary>
/// The angle, its sine and cosine and the rotation in float64, as the reference computes them:
/// the angle reaches thousands of radians at long positions, where float32 would lose ~1e-4.
/// </summary>
internal readonly struct RopeFloat64 : IRopeMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Float2 Rotate(int position, int pair, int headDim, float theta, float x0, float x1)
    {
        double angle = position * Math.Pow(theta, -2.0 * pair / headDim);
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        double a = x0, b = x1;
        Float2 r;
        r.X = (float)(a * cos - b * sin);
        r.Y = (float)(a * sin + b * cos);
        return r;
    }
}

/// <summary>Float32 RoPE for devices without fp64.</summary>
internal readonly struct RopeFloat32 : IRopeMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Float2 Rotate(int position, int pair, int headDim, float theta, float x0, float x1)
    {
        float angle = position * MathF.Pow(theta, -2f * pair / headDim);
        float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        Float2 r;
        r.X = x0 * cos - x1 * sin;
        r.Y = x0 * sin + x1 * cos;
        return r;
    }
}

/// <summary>
/// Element-wise and row-wise operators. One thread per element (or pair) for the element-wise
/// ones: consecutive threads touch consecutive floats. Grid: x = ceil(n / group).
/// </summary>
internal static class VectorKernels
{
    /// <summary>x[i] += addend[i].</summary>
    public static void Add(ArrayView<float> x, ArrayView<float> addend, int length)
    {
        int i = Grid.IdxX * Group.DimX + Group.IdxX;
        if (i < length)
        {
            x[i] += addend[i];
        }
    }

    /// <summary>output[i] = silu(gate[i]) · up[i].</summary>
    public static void SwiGlu(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> output, int length)
    {
        int i = Grid.IdxX * Group.DimX + Group.IdxX;
        if (i < length)
        {
            float g = gate[i];
            output[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>x[r, i] += bias[i] over <paramref name="length"/> = rows · width elements.</summary>
    public static void AddBias<TWeights>(ArrayView<float> x, TWeights bias, int length)
        where TWeights : struct, IWeights
    {
        int i = Grid.IdxX * Group.DimX + Group.IdxX;
        if (i < length)
        {
            x[i] += bias.Element(0, i % bias.Columns);
        }
    }

    /// <summary>output[r, c] = table[tokens[r], c], decoding one weight per thread.</summary>
    public static void Embed<TWeights>(TWeights table, ArrayView<int> tokens, ArrayView<float> output, int length)
        where TWeights : struct, IWeights
    {
        int i = Grid.IdxX * Group.DimX + Group.IdxX;
        if (i < length)
        {
            int columns = table.Columns;
            int r = i / columns;
            output[i] = table.Element(tokens[r], i - r * columns);
        }
    }

    /// <summary>
    /// RMSNorm, one group per row: a group-wide sum of squares, then every thread scales its
    /// elements. Each thread reads all its elements before the reduction's barriers and
    /// writes only those, so input and output may be the same buffer.
    /// </summary>
    public static void RmsNorm<TWeights, TReduce>(ArrayView<float> input, TWeights gain, ArrayView<float> output, float epsilon)
        where TWeights : struct, IWeights
        where TReduce : struct, IReduction
    {
        var scratch = SharedMemory.Allocate<float>(MatMulKernels.MaxGroupSize);
        int dim = gain.Columns;
        long start = (long)Grid.IdxX * dim;
        float sum = 0f;
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
        {
            float v = input[start + i];
            sum += v * v;
        }
        sum = default(TReduce).GroupSum(sum, scratch);
        float inverse = 1f / MathF.Sqrt(sum / dim + epsilon);
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
        {
            output[start + i] = input[start + i] * inverse * gain.Element(0, i);
        }
    }

    /// <summary>RoPE, one thread per rotated pair, in place.</summary>
    public static void Rope<TMath>(ArrayView<float> x, RopeArgs args)
        where TMath : struct, IRopeMath
    {
        int half = args.HeadDim >> 1;
        int i = Grid.IdxX * Group.DimX + Group.IdxX;
        if (i >= args.Rows * args.Heads * half)
        {
            return;
        }
        int pair = i % half;
        int rowHead = i / half;
        int row = rowHead / args.Heads;
        long head = (long)rowHead * args.HeadDim;
        long a = args.HalfSplit != 0 ? head + pair : head + 2 * pair;
        long b = args.HalfSplit != 0 ? head + pair + half : head + 2 * pair + 1;
        var rotated = default(TMath).Rotate(args.StartPosition + row, pair, args.HeadDim, args.Theta, x[a], x[b]);
        x[a] = rotated.X;
        x[b] = rotated.Y;
    }
}
