using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Ilgpu;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Tests.Kernels.Ilgpu;

/// <summary>
/// Every ILGPU operator against the scalar reference, on each device of <see cref="IlgpuTestDevices"/>,
/// with odd shapes: K = 172 (not a multiple of 8, 16 or 32), head size 8, row and output counts
/// that fill no tile exactly (the CPU accelerator's GEMM tile is 16 × 4, PoCL's 16 × 64).
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuKernelTests
{
    private static readonly ReferenceBackend Reference = new();

    public static TheoryData<string> Devices => [.. IlgpuTestDevices.Names];

    public static TheoryData<string, TensorType, int, int> MatMulCases()
    {
        var data = new TheoryData<string, TensorType, int, int>();
        foreach (var device in IlgpuTestDevices.Names)
        {
            // F32 and F16 rows may have any length: 172 leaves a partial unit of 4.
            data.Add(device, TensorType.F32, 172, 1);
            data.Add(device, TensorType.F32, 172, 2);
            data.Add(device, TensorType.F32, 172, 5);
            data.Add(device, TensorType.F32, 172, 70);
            data.Add(device, TensorType.F16, 172, 1);
            data.Add(device, TensorType.F16, 172, 6);
            data.Add(device, TensorType.BF16, 40, 1);
            data.Add(device, TensorType.BF16, 40, 3);
            foreach (var type in new[] { TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_1 })
            {
                data.Add(device, type, 96, 1);
                data.Add(device, type, 96, 2);
                data.Add(device, type, 160, 7);
                data.Add(device, type, 64, 70);
            }
            // The group-scaled family: every level kind, groups wider than a GEMM step.
            data.Add(device, TensorType.Int8G64, 128, 1);
            data.Add(device, TensorType.Int8G128Asym, 256, 5);
            data.Add(device, TensorType.Int4G128, 256, 1);
            data.Add(device, TensorType.Int4G256Asym, 256, 2);
            data.Add(device, TensorType.Int4G64Asym, 192, 9);
            data.Add(device, TensorType.Int8G256, 256, 3);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(MatMulCases))]
    public void MatMul_EqualsReference(string device, TensorType type, int inputs, int rows)
    {
        var backend = IlgpuTestDevices.Get(device);
        const int outputs = 37;
        var weights = RandomTensor(type, outputs, inputs, seed: inputs * 31 + rows);
        var x = RandomValues(rows * inputs, seed: rows);
        var expected = RunReference(b => b.MatMul, weights, x, rows, outputs);

        using var w = backend.Upload(weights);
        using var input = backend.Allocate(rows * inputs);
        using var output = backend.Allocate(rows * outputs + 3);
        backend.Write(x, input);
        backend.MatMul(w, input, output, rows);
        var actual = new float[rows * outputs];
        backend.Read(output, 0, actual);

        // Both sides decode identical weights (same fp16 scales, same float products; an fma may
        // round d*q+m once instead of twice, within one ulp of a weight). The reference sums in
        // float64; the kernel sums K products in float32 in some order, whose error is at most
        // about K·2^-24 of Σ|w·x|. Allow (K + 4)·2^-23, twice that bound.
        var decoded = RowDecoder.DecodeAll(weights);
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double magnitude = 0;
                for (int i = 0; i < inputs; i++)
                {
                    magnitude += Math.Abs((double)decoded[o * inputs + i] * x[r * inputs + i]);
                }
                double tolerance = (inputs + 4) * Math.Pow(2, -23) * magnitude + 1e-30;
                float e = expected[r * outputs + o], a = actual[r * outputs + o];
                Assert.True(Math.Abs(e - a) <= tolerance, $"{device} {type} row {r} output {o}: {a} vs {e} (tolerance {tolerance})");
            }
        }
        var tail = new float[3];
        backend.Read(output, rows * outputs, tail);
        Assert.Equal(new float[3], tail);
    }

    public static TheoryData<string, TensorType> TypeCases()
    {
        var data = new TheoryData<string, TensorType>();
        foreach (var device in IlgpuTestDevices.Names)
        {
            foreach (var type in new[]
            {
                TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_1,
                TensorType.Int8G128Asym, TensorType.Int4G64,
            })
            {
                data.Add(device, type);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TypeCases))]
    public void Embed_DecodesRowsExactly(string device, TensorType type)
    {
        var backend = IlgpuTestDevices.Get(device);
        int columns = type is TensorType.F32 or TensorType.F16 or TensorType.BF16 ? 44 : 128;
        var table = RandomTensor(type, 11, columns, seed: 5);
        int[] tokens = [3, 0, 10, 3, 7];
        using var reference = Reference.Upload(table);
        using var expectedBuffer = Reference.Allocate(tokens.Length * columns);
        Reference.Embed(reference, tokens, expectedBuffer);
        var expected = new float[tokens.Length * columns];
        Reference.Read(expectedBuffer, 0, expected);

        using var weight = backend.Upload(table);
        using var output = backend.Allocate(tokens.Length * columns);
        backend.Embed(weight, tokens, output);
        var actual = new float[expected.Length];
        backend.Read(output, 0, actual);
        // Decoding is exact on both sides (fp16 widening is exact; d·q is one float product),
        // except that a GPU may fuse an asymmetric d·q + m into one fma: one ulp of the weights'
        // magnitude (≤ 0.5 here, so 6e-8) when the sum cancels.
        AssertClose(expected, actual, absolute: 6e-8, relative: 2e-7, $"{device} {type}");
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embed(weight, [11], output));
    }

    [Theory]
    [MemberData(nameof(TypeCases))]
    public void RmsNorm_EqualsReference_InPlaceToo(string device, TensorType type)
    {
        var backend = IlgpuTestDevices.Get(device);
        int dim = type is TensorType.F32 or TensorType.F16 or TensorType.BF16 ? 172 : 128;
        const int rows = 3;
        var gain = RandomTensor(type, 1, dim, seed: 9);
        var x = RandomValues(rows * dim, seed: 10);
        var expected = RunReference((b, w, i, o, r) => b.RmsNorm(i, w, o, r, 1e-5f), gain, x, rows, dim);

        using var weight = backend.Upload(gain);
        using var input = backend.Allocate(rows * dim);
        using var output = backend.Allocate(rows * dim);
        backend.Write(x, input);
        backend.RmsNorm(input, weight, output, rows, 1e-5f);
        var actual = new float[rows * dim];
        backend.Read(output, 0, actual);
        // Float32 sum of squares over ≤ 172 terms (relative error ≤ 172·2^-24 ≈ 1e-5, halved by
        // the square root), then two float products: 1e-5 relative.
        AssertClose(expected, actual, absolute: 1e-7, relative: 1e-5, $"{device} {type}");

        backend.RmsNorm(input, weight, input, rows, 1e-5f);
        backend.Read(input, 0, actual);
        AssertClose(expected, actual, absolute: 1e-7, relative: 1e-5, $"{device} {type} in place");
    }

    [Theory]
    [MemberData(nameof(TypeCases))]
    public void AddBias_EqualsReference(string device, TensorType type)
    {
        var backend = IlgpuTestDevices.Get(device);
        int width = type is TensorType.F32 or TensorType.F16 or TensorType.BF16 ? 44 : 128;
        const int rows = 3;
        var bias = RandomTensor(type, 1, width, seed: 12);
        var x = RandomValues(rows * width, seed: 13);
        var expected = RunReference((b, w, i, o, r) => b.AddBias(i, w, r), bias, x, rows, width, inPlace: true);

        using var weight = backend.Upload(bias);
        using var values = backend.Allocate(rows * width);
        backend.Write(x, values);
        backend.AddBias(values, weight, rows);
        var actual = new float[rows * width];
        backend.Read(values, 0, actual);
        // One float addition of identically decoded values (asymmetric decode may fuse: 1 ulp).
        AssertClose(expected, actual, absolute: 1e-7, relative: 2e-7, $"{device} {type}");
    }

    [Theory]
    [MemberData(nameof(RopeCases))]
    public void Rope_EqualsReference(string device, RopeStyle style, int headDim, int startPosition)
    {
        var backend = IlgpuTestDevices.Get(device);
        const int rows = 3, heads = 4;
        var x = RandomValues(rows * heads * headDim, seed: headDim + startPosition);
        using var reference = Reference.Allocate(x.Length);
        Reference.Write(x, reference);
        Reference.Rope(reference, rows, heads, headDim, startPosition, 10000f, style);
        var expected = new float[x.Length];
        Reference.Read(reference, 0, expected);

        using var values = backend.Allocate(x.Length);
        backend.Write(x, values);
        backend.Rope(values, rows, heads, headDim, startPosition, 10000f, style);
        var actual = new float[x.Length];
        backend.Read(values, 0, actual);
        // fp64 RoPE matches the reference to the final rounding. fp32 RoPE: the angle
        // position·theta^(-2i/d) carries a relative error of a few 2^-24, i.e. up to about
        // 1e-7·position radians, plus float sin/cos: |x|·(1e-7·position + 1e-6).
        double slack = backend.Plan.Float64 ? 1e-6 : 1e-6 + 2e-7 * (startPosition + rows);
        AssertClose(expected, actual, absolute: slack, relative: 1e-6, $"{device} {style} d={headDim} p={startPosition}");
    }

    public static TheoryData<string, RopeStyle, int, int> RopeCases()
    {
        var data = new TheoryData<string, RopeStyle, int, int>();
        foreach (var device in IlgpuTestDevices.Names)
        {
            foreach (var style in new[] { RopeStyle.AdjacentPairs, RopeStyle.HalfSplit })
            {
                data.Add(device, style, 8, 0);
                data.Add(device, style, 8, 37);
                data.Add(device, style, 64, 1000);
            }
        }
        return data;
    }

    public static TheoryData<string, int, int, int, int, int> AttentionCases()
    {
        var data = new TheoryData<string, int, int, int, int, int>();
        foreach (var device in IlgpuTestDevices.Names)
        {
            // device, rows, start, heads, kvHeads, headDim
            data.Add(device, 1, 0, 4, 2, 8);      // first token
            data.Add(device, 1, 20, 4, 2, 8);     // decode, GQA
            data.Add(device, 7, 3, 4, 4, 8);      // prefill with the causal mask
            data.Add(device, 1, 299, 2, 1, 8);    // 300 positions: many chunks of one group
            data.Add(device, 5, 0, 3, 1, 48);     // head size above the CPU group size
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void Attention_EqualsReference(string device, int rows, int start, int heads, int kvHeads, int headDim)
    {
        var backend = IlgpuTestDevices.Get(device);
        var shape = new AttentionShape(rows, start, heads, kvHeads, headDim);
        int positions = start + rows;
        var q = RandomValues(rows * shape.QueryWidth, seed: 1);
        var k = RandomValues(positions * shape.KvWidth, seed: 2, scale: 2f);
        var v = RandomValues(positions * shape.KvWidth, seed: 3);

        float[] Run(IComputeBackend b)
        {
            using var qb = b.Allocate(q.Length);
            using var kb = b.Allocate(k.Length + shape.KvWidth);
            using var vb = b.Allocate(v.Length + shape.KvWidth);
            using var ob = b.Allocate(q.Length);
            b.Write(q, qb);
            b.Write(k, kb);
            b.Write(v, vb);
            b.Attention(qb, kb, vb, ob, shape);
            var result = new float[q.Length];
            b.Read(ob, 0, result);
            return result;
        }

        // Scores in float32 (head size ≤ 48 terms), exp to a few ulp, and a weighted mean of
        // values: each output is a convex combination, so its error is about 1e-6 of max |v|
        // plus the score error (~1e-6 relative) times the spread of v.
        AssertClose(Run(Reference), Run(backend), absolute: 2e-6, relative: 2e-6, $"{device} {shape}");
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ElementWise_EqualReference(string device)
    {
        var backend = IlgpuTestDevices.Get(device);
        const int length = 1000;
        var a = RandomValues(length, seed: 4, scale: 6f);
        var b = RandomValues(length, seed: 5);
        foreach (var op in new[] { "swiglu", "add" })
        {
            float[] Run(IComputeBackend be)
            {
                using var ab = be.Allocate(length);
                using var bb = be.Allocate(length);
                using var ob = be.Allocate(length);
                be.Write(a, ab);
                be.Write(b, bb);
                if (op == "swiglu")
                {
                    be.SwiGlu(ab, bb, ob, length - 1);
                }
                else
                {
                    be.Add(ab, bb, length - 1);
                    be.Copy(ab, 0, ob, 0, length);
                }
                var result = new float[length];
                be.Read(ob, 0, result);
                return result;
            }
            // silu in float32: exp to a few ulp, a division and a product.
            AssertClose(Run(Reference), Run(backend), absolute: 1e-7, relative: 1e-6, $"{device} {op}");
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void CopiesAndOffsets_MoveExactly(string device)
    {
        var backend = IlgpuTestDevices.Get(device);
        var values = RandomValues(50, seed: 8);
        using var a = backend.Allocate(50);
        using var b = backend.Allocate(60);
        backend.Write(values.AsSpan(10, 20), a, 5);
        backend.Copy(a, 5, b, 33, 20);
        backend.Copy(b, 33, b, 0, 20);
        var back = new float[20];
        backend.Read(b, 0, back);
        Assert.Equal(values.AsSpan(10, 20).ToArray(), back);
        var zeros = new float[5];
        backend.Read(a, 0, zeros);
        Assert.Equal(new float[5], zeros);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Read(a, 45, new float[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Copy(a, 0, b, 50, 11));
        Assert.Throws<ArgumentException>(() => backend.Read(Reference.Allocate(4), 0, new float[1]));
    }

    internal static HostTensor RandomTensor(TensorType type, int rows, int columns, int seed)
    {
        var values = RandomValues(rows * columns, seed, scale: 0.5f);
        return RowEncoder.Convert(HostTensor.FromFloats(rows, columns, values), type);
    }

    internal static float[] RandomValues(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }
        return values;
    }

    private static float[] RunReference(Func<ReferenceBackend, Action<IDeviceWeight, IDeviceBuffer, IDeviceBuffer, int>> op,
        HostTensor weights, float[] x, int rows, int outputs) =>
        RunReference((b, w, i, o, r) => op(b)(w, i, o, r), weights, x, rows, outputs);

    private static float[] RunReference(Action<ReferenceBackend, IDeviceWeight, IDeviceBuffer, IDeviceBuffer, int> op,
        HostTensor weights, float[] x, int rows, int outputs, bool inPlace = false)
    {
        using var w = Reference.Upload(weights);
        using var input = Reference.Allocate(x.Length);
        using var output = Reference.Allocate(rows * outputs);
        Reference.Write(x, input);
        op(Reference, w, input, output, rows);
        var result = new float[rows * outputs];
        Reference.Read(inPlace ? input : output, 0, result);
        return result;
    }

    private static void AssertClose(float[] expected, float[] actual, double absolute, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = absolute + relative * Math.Abs(expected[i]);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what} [{i}]: {actual[i]} vs {expected[i]} (tolerance {tolerance})");
        }
    }
}
