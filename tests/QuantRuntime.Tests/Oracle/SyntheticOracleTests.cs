using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Oracle;

/// <summary>Random-weight llama and qwen2 models written by our GGUF writer, run by llama.cpp and by our reference engine.</summary>
public sealed class SyntheticOracleTests(ITestOutputHelper output)
{
    private const int Positions = 32;
    /// <summary>
    /// Largest logit difference allowed, relative to the row's max |logit|. With F32 weights the two
    /// engines agree to ~1e-6. With F16 weights llama.cpp's CPU matmuls round the activations to F16,
    /// so its F16 logits differ from its own F32 logits on the very same weight values by 5e-4 to
    /// 1.5e-3 depending on the model (ours do not move): for F16 this bound tests llama.cpp's rounding
    /// as much as our engine, and the models are picked to stay within it (see SyntheticOracleModels).
    /// </summary>
    private const double Tolerance = 1e-3;

    [Theory]
    [InlineData("llama", TensorType.F32)]
    [InlineData("llama", TensorType.F16)]
    [InlineData("qwen2", TensorType.F32)]
    [InlineData("qwen2", TensorType.F16)]
    public void LlamaCppAgreesWithReferenceEngine(string architecture, TensorType matrixType)
    {
        var config = SyntheticOracleModels.For(architecture);
        var weights = SyntheticOracleModels.Weights(config);
        if (matrixType != TensorType.F32)
        {
            weights = GgufModelWriter.MapMatrices(weights, (_, t) => RowEncoder.Convert(t, matrixType));
        }
        using var temp = new TempDirectory();
        string path = temp.File($"{architecture}-{matrixType}.gguf");
        GgufModelWriter.Build(config, weights, source: null, name: $"synthetic-{architecture}").Save(path);

        // Our engine computes from what the file holds, as llama.cpp does.
        using var file = ModelFile.Open(path);
        Assert.Equal(config, file.Config);

        LlamaCppOracle? loaded = null;
        var refused = Record.Exception(() => loaded = LlamaCppOracle.Load(path));
        Assert.True(refused is null, $"llama.cpp refused our {architecture} {matrixType} GGUF: {refused}");
        using var oracle = loaded!;
        Assert.Equal(config.VocabularySize, oracle.VocabularySize);

        int[] tokens = SyntheticOracleModels.Tokens(config.VocabularySize, Positions, seed: 7);
        var ours = ReferenceRun.EvaluateAll(file.Config, file.Weights, tokens);
        var agreement = LogitAgreement.Measure(ours, oracle.EvaluateAll(tokens), oracle.VocabularySize);
        output.WriteLine($"{architecture} {matrixType} logits over {Positions} positions: {agreement}");
        Assert.True(agreement.WorstRelative <= Tolerance, $"llama.cpp disagrees on {architecture} {matrixType}: {agreement}");

        var (oursGreedy, gap) = ReferenceRun.GenerateGreedy(file.Config, file.Weights, [1], Positions);
        var theirsGreedy = oracle.GenerateGreedy([1], Positions);
        output.WriteLine($"{architecture} {matrixType} greedy: smallest top-2 gap {gap:F4}, ids {string.Join(' ', oursGreedy)}");
        Assert.Equal(oursGreedy, theirsGreedy);
    }
}
