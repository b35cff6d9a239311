using QuantRuntime.Formats.Gguf;
using QuantRuntime.Models;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Oracle;

/// <summary>stories260K written as GGUF by our writer, run by llama.cpp and by our reference engine.</summary>
public sealed class Stories260KOracleTests(ITestOutputHelper output)
{
    private const int Positions = 32;
    private const double Tolerance = 1e-3;

    [SharedFixtureFact]
    public void Gguf_LlamaCppAgreesWithReferenceEngine()
    {
        using var temp = new TempDirectory();
        string ggufPath = temp.File("stories260K-f32.gguf");
        using var bin = ModelFile.Open(RepositoryPaths.Stories260K);
        GgufModelWriter.Build(bin.Config, bin.Weights, source: null, name: "stories260K").Save(ggufPath);
        int[] tokens = [1, .. Stories260KReference.GreedyIds(64)[..(Positions - 1)]];

        // Our engine reads the GGUF back to the same model and the same logits as the .bin.
        using var gguf = ModelFile.Open(ggufPath);
        Assert.Equal(bin.Config, gguf.Config);
        var fromBin = ReferenceRun.EvaluateAll(bin.Config, bin.Weights, tokens);
        var fromGguf = ReferenceRun.EvaluateAll(gguf.Config, gguf.Weights, tokens);
        Assert.Equal(fromBin, fromGguf);

        LlamaCppOracle? loaded = null;
        var refused = Record.Exception(() => loaded = LlamaCppOracle.Load(ggufPath));
        Assert.True(refused is null, $"llama.cpp refused our stories260K GGUF: {refused}");
        using var oracle = loaded!;
        Assert.Equal(bin.Config.VocabularySize, oracle.VocabularySize);

        var agreement = LogitAgreement.Measure(fromGguf, oracle.EvaluateAll(tokens), oracle.VocabularySize);
        output.WriteLine($"stories260K F32 logits over {Positions} positions: {agreement}");
        Assert.True(agreement.WorstRelative <= Tolerance, $"llama.cpp disagrees: {agreement}");

        var (ours, gap) = ReferenceRun.GenerateGreedy(gguf.Config, gguf.Weights, [1], Positions);
        var theirs = oracle.GenerateGreedy([1], Positions);
        output.WriteLine($"stories260K greedy: smallest top-2 gap {gap:F4}");
        Assert.Equal(Stories260KReference.GreedyIds(64)[..Positions], ours);
        Assert.Equal(ours, theirs);
    }
}
