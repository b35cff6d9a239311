using QuantRuntime.Evaluation;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Inference;
using QuantRuntime.Models;
using QuantRuntime.Tests.Oracle;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Evaluation;

/// <summary>
/// The evaluator's per-token log-probabilities against llama.cpp's on the same F32 GGUF and the same
/// windows (llama.cpp's logits put through a float64 log-softmax here), and so the perplexity.
/// </summary>
public sealed class LlamaCppLogProbabilityTests(ITestOutputHelper output)
{
    private const double LogProbabilityTolerance = 1e-3;
    private const double PerplexityTolerance = 1e-3;

    [Fact]
    public void SyntheticLlama_LogProbabilitiesMatchLlamaCpp()
    {
        var config = SyntheticOracleModels.Llama;
        using var temp = new TempDirectory();
        string path = temp.File("synthetic-llama-f32.gguf");
        GgufModelWriter.Build(config, SyntheticOracleModels.Weights(config), source: null, name: "synthetic-llama").Save(path);
        // 3 windows of 64 from BOS-led seeded ids; the oracle's KV cache is cleared before every window, as ours.
        int[] stream = SyntheticOracleModels.Tokens(config.VocabularySize, 3 * 64 + 7, seed: 17);
        Compare(path, stream, new EvaluationOptions(ContextLength: 64, Scoring: ScoredPositions.All, Bos: 1, Device: ComputeDevice.Cpu, Threads: 2));
    }

    [SharedFixtureFact]
    public void Stories260K_LogProbabilitiesMatchLlamaCpp()
    {
        using var temp = new TempDirectory();
        string path = temp.File("stories260K-f32.gguf");
        using (var bin = ModelFile.Open(RepositoryPaths.Stories260K))
        {
            GgufModelWriter.Build(bin.Config, bin.Weights, source: null, name: "stories260K").Save(path);
        }
        int[] stream = [1, .. Stories260KReference.GreedyIds(256)[..255]];
        Compare(path, stream, new EvaluationOptions(ContextLength: 256, Scoring: ScoredPositions.All, Device: ComputeDevice.Cpu, Threads: 2));
    }

    private void Compare(string path, int[] stream, EvaluationOptions options)
    {
        using var file = ModelFile.Open(path);
        using var evaluator = new QuantizationEvaluator(file.Config, file.Weights, stream, options);
        var ours = evaluator.EvaluateBase();

        using var oracle = LlamaCppOracle.Load(path, new LlamaCppOracleOptions(ContextLength: options.ContextLength, Threads: 2));
        int vocabulary = oracle.VocabularySize;
        var theirs = new List<double>();
        var row = new double[vocabulary];
        foreach (var window in evaluator.Windows.Windows)
        {
            float[] logits = oracle.EvaluateAll(window.Tokens);
            for (int r = 0; r < window.ScoredCount; r++)
            {
                TokenDistribution.LogSoftmax(logits.AsSpan((window.FirstScored + r) * vocabulary, vocabulary), row);
                theirs.Add(row[window.Target(r)]);
            }
        }
        Assert.Equal(theirs.Count, ours.Tokens.Count);
        double worst = theirs.Select((t, i) => Math.Abs(t - ours.Tokens.LogProbabilities[i])).Max();
        double pplTheirs = Math.Exp(-theirs.Average());
        double relative = Math.Abs(ours.Perplexity.Perplexity - pplTheirs) / pplTheirs;
        output.WriteLine($"{Path.GetFileName(path)}: {theirs.Count} tokens, largest |Δ ln p| {worst:E2}, PPL ours {ours.Perplexity.Perplexity:F6} llama.cpp {pplTheirs:F6} (relative {relative:E2})");
        Assert.True(worst <= LogProbabilityTolerance, $"log-probabilities differ by up to {worst:E3}");
        Assert.True(relative <= PerplexityTolerance, $"perplexity differs by {relative:E3} relative");
    }
}
