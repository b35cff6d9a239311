using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Numerics;

namespace QuantRuntime.GpuCheck;

/// <summary>
/// Every operator on the device against the scalar reference, with the tolerances of the test
/// suite (tests/QuantRuntime.Tests/Kernels/Ilgpu), on shapes sized like a real model's rows.
/// Each row reports the worst error as a fraction of its tolerance: at most 1 passes.
/// </summary>
internal static class KernelChecks
{
    private static readonly ReferenceBackend Reference = new();

    public static void Run(IComputeBackend device, Report report)
    {
        foreach (var (type, inputs) in new[]
        {
            (TensorType.F32, 172), (TensorType.F16, 4100), (TensorType.BF16, 1000), (TensorType.Q8_0, 4096),
            (TensorType.Q4_0, 4096), (TensorType.Q4_1, 2048), (TensorType.Int4G128Asym, 4096), (TensorType.Int8G64, 2048),
        })
        {
            foreach (int rows in new[] { 1, 37 })
            {
                report.Add(Check($"matmul {TensorTypeInfo.Of(type).Name} {(rows == 1 ? "gemv" : "gemm")} K={inputs}", () => MatMul(device, type, inputs, rows)));
            }
        }
        foreach (var type in new[] { TensorType.F32, TensorType.F16, TensorType.Q4_0, TensorType.Int8G128Asym })
        {
            report.Add(Check($"embed {TensorTypeInfo.Of(type).Name}", () => Embed(device, type)));
        }
        report.Add(Check("rmsnorm f32 (in place)", () => RmsNorm(device)));
        report.Add(Check("bias f32", () => Bias(device)));
        report.Add(Check("rope adjacent d=128 p=3000", () => Rope(device, RopeStyle.AdjacentPairs)));
        report.Add(Check("rope half-split d=128 p=3000", () => Rope(device, RopeStyle.HalfSplit)));
        report.Add(Check("attention decode ctx=1000 gqa", () => Attention(device, new AttentionShape(1, 999, 32, 8, 128))));
        report.Add(Check("attention prefill 40 rows d=64", () => Attention(device, new AttentionShape(40, 10, 8, 2, 64))));
        report.Add(Check("swiglu", () => ElementWise(device, swiglu: true)));
        report.Add(Check("add + copy", () => ElementWise(device, swiglu: false)));
    }

    private static Row Check(string name, Func<double> ratio)
    {
        try
        {
            double r = ratio();
            return new Row("check", name, r <= 1, $"{r:F3} of tol", "worst error / tolerance");
        }
        catch (Exception e)
        {
            return new Row("check", name, false, "error", e.GetType().Name + ": " + e.Message.Split('\n')[0]);
        }
    }

    private static double MatMul(IComputeBackend device, TensorType type, int inputs, int rows)
    {
        const int outputs = 301;
        var weights = Tensor(type, outputs, inputs, 1);
        var x = Values(rows * inputs, 2, 1f);
        var expected = Run(Reference, b => b.Upload(weights), (b, w, i, o) => b.MatMul(w, i, o, rows), x, rows * outputs);
        var actual = Run(device, b => b.Upload(weights), (b, w, i, o) => b.MatMul(w, i, o, rows), x, rows * outputs);
        var decoded = RowDecoder.DecodeAll(weights);
        double worst = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double magnitude = 0;
                for (int i = 0; i < inputs; i++)
                {
                    magnitude += Math.Abs((double)decoded[(long)o * inputs + i] * x[r * inputs + i]);
                }
                // float32 summation of K products: at most about K·2^-24 of Σ|w·x|; allow twice.
                double tolerance = (inputs + 4) * Math.Pow(2, -23) * magnitude + 1e-30;
                worst = Math.Max(worst, Math.Abs(expected[r * outputs + o] - actual[r * outputs + o]) / tolerance);
            }
        }
        return worst;
    }

    private static double Embed(IComputeBackend device, TensorType type)
    {
        var table = Tensor(type, 1000, 256, 3);
        int[] tokens = [999, 0, 5, 5, 512];
        float[] Go(IComputeBackend b)
        {
            using var w = b.Upload(table);
            using var o = b.Allocate(tokens.Length * 256);
            b.Embed(w, tokens, o);
            var result = new float[tokens.Length * 256];
            b.Read(o, 0, result);
            return result;
        }
        // Exact decoding, except that d·q + m may be fused into one fma on a GPU: one ulp of |d·q| + |m| ≤ 1.
        return Ratio(Go(Reference), Go(device), 1.2e-7, 2e-7);
    }

    private static double RmsNorm(IComputeBackend device)
    {
        const int dim = 4096, rows = 5;
        var gain = Tensor(TensorType.F32, 1, dim, 4);
        var x = Values(rows * dim, 5, 3f);
        float[] Go(IComputeBackend b)
        {
            using var w = b.Upload(gain);
            using var buffer = b.Allocate(rows * dim);
            b.Write(x, buffer);
            b.RmsNorm(buffer, w, buffer, rows, 1e-5f);
            var result = new float[rows * dim];
            b.Read(buffer, 0, result);
            return result;
        }
        // float32 sum of 4096 squares: relative error ≤ 4096·2^-24 ≈ 2.4e-4 worst case, ~1e-6 typical.
        return Ratio(Go(Reference), Go(device), 1e-7, 1e-4);
    }

    private static double Bias(IComputeBackend device)
    {
        const int width = 1000, rows = 3;
        var bias = Tensor(TensorType.F32, 1, width, 6);
        var x = Values(rows * width, 7, 1f);
        float[] Go(IComputeBackend b)
        {
            using var w = b.Upload(bias);
            using var buffer = b.Allocate(rows * width);
            b.Write(x, buffer);
            b.AddBias(buffer, w, rows);
            var result = new float[rows * width];
            b.Read(buffer, 0, result);
            return result;
        }
        return Ratio(Go(Reference), Go(device), 1e-7, 2e-7);
    }

    private static double Rope(IComputeBackend device, RopeStyle style)
    {
        const int rows = 4, heads = 8, dim = 128, start = 3000;
        var x = Values(rows * heads * dim, 8, 1f);
        float[] Go(IComputeBackend b)
        {
            using var buffer = b.Allocate(x.Length);
            b.Write(x, buffer);
            b.Rope(buffer, rows, heads, dim, start, 10000f, style);
            var result = new float[x.Length];
            b.Read(buffer, 0, result);
            return result;
        }
        // fp64 angles: a few ulp. fp32 angles (devices without fp64) err by ~1e-7·position rad.
        return Ratio(Go(Reference), Go(device), 1e-6 + 2e-7 * (start + rows), 1e-6);
    }

    private static double Attention(IComputeBackend device, AttentionShape shape)
    {
        int positions = shape.StartPosition + shape.Rows;
        var q = Values(shape.Rows * shape.QueryWidth, 9, 1f);
        var k = Values(positions * shape.KvWidth, 10, 1f);
        var v = Values(positions * shape.KvWidth, 11, 1f);
        float[] Go(IComputeBackend b)
        {
            using var qb = b.Allocate(q.Length);
            using var kb = b.Allocate(k.Length);
            using var vb = b.Allocate(v.Length);
            using var ob = b.Allocate(q.Length);
            b.Write(q, qb);
            b.Write(k, kb);
            b.Write(v, vb);
            b.Attention(qb, kb, vb, ob, shape);
            var result = new float[q.Length];
            b.Read(ob, 0, result);
            return result;
        }
        // Scores of up to 128 float32 products, exp to a few ulp, a convex combination of values.
        return Ratio(Go(Reference), Go(device), 1e-5, 1e-5);
    }

    private static double ElementWise(IComputeBackend device, bool swiglu)
    {
        const int length = 100_003;
        var a = Values(length, 12, 8f);
        var c = Values(length, 13, 1f);
        float[] Go(IComputeBackend b)
        {
            using var ab = b.Allocate(length);
            using var cb = b.Allocate(length);
            using var ob = b.Allocate(length);
            b.Write(a, ab);
            b.Write(c, cb);
            if (swiglu)
            {
                b.SwiGlu(ab, cb, ob, length);
            }
            else
            {
                b.Add(ab, cb, length);
                b.Copy(ab, 0, ob, 0, length);
            }
            var result = new float[length];
            b.Read(ob, 0, result);
            return result;
        }
        return Ratio(Go(Reference), Go(device), 1e-7, 1e-6);
    }

    private static float[] Run(IComputeBackend backend, Func<IComputeBackend, IDeviceWeight> upload,
        Action<IComputeBackend, IDeviceWeight, IDeviceBuffer, IDeviceBuffer> op, float[] x, int outputLength)
    {
        using var w = upload(backend);
        using var input = backend.Allocate(x.Length);
        using var output = backend.Allocate(outputLength);
        backend.Write(x, input);
        op(backend, w, input, output);
        var result = new float[outputLength];
        backend.Read(output, 0, result);
        return result;
    }

    private static double Ratio(float[] expected, float[] actual, double absolute, double relative)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = absolute + relative * Math.Abs(expected[i]);
            double error = Math.Abs(expected[i] - actual[i]);
            worst = Math.Max(worst, tolerance == 0 ? (error == 0 ? 0 : double.PositiveInfinity) : error / tolerance);
        }
        return worst;
    }

    internal static HostTensor Tensor(TensorType type, int rows, int columns, ulong seed) =>
        RowEncoder.Convert(HostTensor.FromFloats(rows, columns, Values(rows * columns, seed, 0.5f)), type);

    internal static float[] Values(int count, ulong seed, float scale)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }
        return values;
    }
}
