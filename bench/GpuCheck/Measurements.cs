using System.Diagnostics;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Ilgpu;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.GpuCheck;

/// <summary>The forward-pass check and the throughput measurements.</summary>
internal static class Measurements
{
    /// <summary>
    /// The 0.84B benchmark shape of GUIDE §3 (src/Benchmarking/BenchmarkModel.cs, not referenced
    /// here to keep llama.cpp's native libraries out of the published file).
    /// </summary>
    public static TransformerConfig BenchmarkConfig { get; } = new("llama", 2048, 5632, 16, 32, 4, 64, 32000, 2048, 1e-5f, 10000f,
        RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: false);

    /// <summary>A small random GQA model, Q4_0, prefill then greedy decode on both backends.</summary>
    public static void ForwardPass(IComputeBackend device, Report report)
    {
        var config = new TransformerConfig("llama", 256, 704, 3, 8, 2, 32, 1000, 128, 1e-5f, 10000f,
            RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: true);
        try
        {
            var weights = SyntheticWeights.Create(config, seed: 7, TensorType.Q4_0);
            var (expectedIds, expectedLogits) = Generate(new ReferenceBackend(), config, weights);
            var (ids, logits) = Generate(device, config, weights);
            double worst = 0, scale = 0;
            for (int i = 0; i < logits.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(logits[i] - expectedLogits[i]));
                scale = Math.Max(scale, Math.Abs(expectedLogits[i]));
            }
            // float32 kernels against a float64 reference through 3 blocks: logits agree to ~1e-5
            // of their scale; allow 1e-3 of it, and the greedy ids must be identical.
            bool same = ids.SequenceEqual(expectedIds);
            bool ok = same && worst <= 1e-3 * Math.Max(1, scale);
            report.Add(new Row("check", "forward pass, random Q4_0 GQA model", ok, $"max dlogit {worst:E1}",
                $"scale {scale:F1}; {ids.Count} greedy ids {(same ? "identical" : "DIFFER")} (16-token prefill + 16 decode)"));
        }
        catch (Exception e)
        {
            report.Add(new Row("check", "forward pass, random Q4_0 GQA model", false, "error", e.GetType().Name + ": " + e.Message.Split('\n')[0]));
        }
    }

    private static (List<int> Ids, float[] Logits) Generate(IComputeBackend backend, TransformerConfig config, TransformerWeights weights)
    {
        using var model = TransformerModel.Create(config, weights, backend);
        using var session = model.CreateSession(new SessionOptions(BatchSize: 16));
        int[] prompt = Enumerable.Range(0, 16).Select(i => (i * 37 + 1) % config.VocabularySize).ToArray();
        var all = new List<float>();
        var logits = new float[config.VocabularySize];
        var ids = new List<int>();
        session.Evaluate(prompt, logits);
        for (int step = 0; step < 16; step++)
        {
            all.AddRange(logits);
            int next = ArgMax(logits);
            ids.Add(next);
            session.Evaluate([next], logits);
        }
        all.AddRange(logits);
        return (ids, all.ToArray());
    }

    /// <summary>Device-to-device copy of a large buffer: read + write bytes per second.</summary>
    public static double CopyBandwidth(IlgpuBackend device, Report report, int megabytes)
    {
        int floats = megabytes << 18;
        using var a = device.Allocate(floats);
        using var b = device.Allocate(floats);
        double seconds = Time(device, () => device.Copy(a, 0, b, 0, floats), minimumSeconds: 0.5);
        double gbps = 2.0 * floats * 4 / seconds / 1e9;
        report.Add(new Row("bandwidth", $"device copy {megabytes} MiB", true, $"{Gb(gbps)} GB/s", $"read+write; {seconds * 1e3:F3} ms per copy"));
        return gbps;
    }

    /// <summary>One-row matrix-vector product: weight bytes read per second, as a fraction of copy bandwidth.</summary>
    public static void Gemv(IlgpuBackend device, Report report, TensorType type, int outputs, int inputs, double copyGbps)
    {
        var tensor = RandomBlocks(type, outputs, inputs);
        using var w = device.Upload(tensor);
        using var x = device.Allocate(inputs);
        using var y = device.Allocate(outputs);
        device.Write(KernelChecks.Values(inputs, 3, 1f), x);
        double seconds = Time(device, () => device.MatMul(w, x, y, 1), minimumSeconds: 0.3);
        double gbps = tensor.Data.Length / seconds / 1e9;
        report.Add(new Row("gemv", $"{TensorTypeInfo.Of(type).Name} {outputs}x{inputs}", true, $"{Gb(gbps)} GB/s",
            $"{gbps / copyGbps:P0} of copy; {seconds * 1e6:F1} us; {tensor.Data.Length / 1e6:F1} MB"));
    }

    /// <summary>Decode tokens per second on a random model, and the weight bytes per second that implies.</summary>
    public static void Decode(IlgpuBackend device, Report report, TransformerConfig config, TensorType type,
        Task<(TransformerWeights Weights, double Seconds)> build, double copyGbps, int steps)
    {
        var (weights, buildSeconds) = build.GetAwaiter().GetResult();
        long bytesPerToken = weights.Named().Where(n => !ReferenceEquals(n.Tensor, weights.TokenEmbedding))
            .Sum(n => (long)n.Tensor.Data.Length) + weights.TokenEmbedding.RowBytes;
        using var model = TransformerModel.Create(config, weights, device);
        using var session = model.CreateSession(new SessionOptions(ContextLength: Math.Min(config.ContextLength, 512), BatchSize: 64));
        var logits = new float[config.VocabularySize];
        session.Evaluate(Enumerable.Range(1, 32).ToArray(), logits);
        int token = ArgMax(logits);
        session.Evaluate([token], logits);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            token = ArgMax(logits);
            session.Evaluate([token], logits);
        }
        double seconds = clock.Elapsed.TotalSeconds / steps;
        double gbps = bytesPerToken / seconds / 1e9;
        long parameters = weights.Named().Sum(n => (long)n.Tensor.Rows * n.Tensor.Columns);
        string size = parameters >= 1e9 ? $"{parameters / 1e9:F2}B" : $"{parameters / 1e6:F1}M";
        report.Add(new Row("decode", $"{size} {TensorTypeInfo.Of(type).Name} tok/s", true, $"{1 / seconds:F1} tok/s",
            $"{Gb(gbps)} GB/s weights = {gbps / copyGbps:P0} of copy; {bytesPerToken / 1e6:F0} MB/token; {steps} steps after a 32-token prefill; weights built in {buildSeconds:F0} s"));
    }

    /// <summary>Starts building the random weights on a worker thread (about a minute per 0.84B on one core).</summary>
    public static Task<(TransformerWeights Weights, double Seconds)> BuildWeights(TransformerConfig config, TensorType type) =>
        Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var weights = SyntheticWeights.Create(config, seed: 2048, type);
            return (weights, clock.Elapsed.TotalSeconds);
        });

    /// <summary>Valid blocks of random levels and small fp16 scales, made fast (bandwidth does not depend on values).</summary>
    private static HostTensor RandomBlocks(TensorType type, int rows, int columns)
    {
        var info = TensorTypeInfo.Of(type);
        var bytes = new byte[info.ByteCount(columns) * rows];
        new Random(1).NextBytes(bytes);
        ushort scale = BitConverter.HalfToUInt16Bits((Half)0.01f);
        for (long at = 0; at < bytes.Length; at += info.BlockBytes)
        {
            bytes[at] = (byte)scale;
            bytes[at + 1] = (byte)(scale >> 8);
            if (type == TensorType.Q4_1)
            {
                bytes[at + 2] = 0;
                bytes[at + 3] = 0;
            }
        }
        return new HostTensor(type, rows, columns, bytes);
    }

    /// <summary>Median seconds per call over five batches, each repeated until it lasts <paramref name="minimumSeconds"/> / 5.</summary>
    private static double Time(IlgpuBackend device, Action action, double minimumSeconds)
    {
        for (int i = 0; i < 3; i++)
        {
            action();
        }
        device.Synchronize();
        int repeats = 1;
        var clock = Stopwatch.StartNew();
        action();
        device.Synchronize();
        double once = Math.Max(clock.Elapsed.TotalSeconds, 1e-7);
        repeats = (int)Math.Clamp(minimumSeconds / 5 / once, 1, 100_000);
        var samples = new List<double>();
        for (int batch = 0; batch < 5; batch++)
        {
            clock.Restart();
            for (int i = 0; i < repeats; i++)
            {
                action();
            }
            device.Synchronize();
            samples.Add(clock.Elapsed.TotalSeconds / repeats);
        }
        samples.Sort();
        return samples[2];
    }

    private static string Gb(double gbps) => gbps >= 100 ? gbps.ToString("F0") : gbps >= 10 ? gbps.ToString("F1") : gbps.ToString("F2");

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
