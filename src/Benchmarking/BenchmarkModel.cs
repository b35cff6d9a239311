using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Quantization;

namespace QuantRuntime.Benchmarking;

/// <summary>
/// The benchmark model of shared GUIDE §3: random weights, Llama-shaped, dim 2048, hidden 5632,
/// 16 layers, 32 heads, 4 KV heads, vocab 32000 (0.84B parameters), written as F16, Q8_0 and Q4_0
/// (output head F16 in all three, as in the guide's llama.cpp table). Generated when needed,
/// never committed.
/// </summary>
public static class BenchmarkModel
{
    /// <summary>The shape.</summary>
    public static TransformerConfig Config { get; } = new("llama", 2048, 5632, 16, 32, 4, 64, 32000, 2048, 1e-5f, 10000f,
        RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: false);

    /// <summary>File names written into the folder, by scheme.</summary>
    public static IReadOnlyList<(string Scheme, string FileName)> Files { get; } =
        [("f16", "bench-f16.gguf"), ("q8_0", "bench-q8_0.gguf"), ("q4_0", "bench-q4_0.gguf")];

    /// <summary>Writes the three files into <paramref name="folder"/>, skipping any that exist; returns their paths.</summary>
    public static IReadOnlyList<string> Write(string folder, IProgress<string>? progress = null, int threads = 0, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var paths = Files.Select(f => Path.Combine(folder, f.FileName)).ToArray();
        if (paths.All(File.Exists))
        {
            return paths;
        }
        progress?.Report("generating 0.84B random F16 weights");
        var weights = SyntheticWeights.Create(Config, seed: 2048, TensorType.F16);
        for (int i = 0; i < Files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (File.Exists(paths[i]))
            {
                continue;
            }
            progress?.Report($"writing {Files[i].FileName}");
            var scheme = QuantizationScheme.Parse(Files[i].Scheme);
            var options = new QuantizationOptions(scheme, OutputHead: OutputHeadPrecision.F16);
            var result = ModelQuantizer.Quantize(weights, options, threads: threads, cancellationToken: cancellationToken);
            QuantizedModelWriter.Build(Config, result, options, null, $"bench-{Files[i].Scheme}").Save(paths[i]);
        }
        return paths;
    }
}
