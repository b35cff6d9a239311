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
    /// Both engines quantize activations to int8 per block of 32 the same way (q = round(x·127/max|x|),
    /// fp16 scale), so the integer dot products agree exactly and only float32 summation order
    /// differs (observed: 2e-7 of the row's max |logit|). The bound is the issue's, 1e-2 of the row's
    /// max |logit|; the float-activation reference is printed beside it for scale (about 2e-2 here).
    /// </summary>
    private const double Tolerance = 1e-2;

    /// <summary>
    /// The models of <see cref="SyntheticOracleModels"/>, plus "llama128": the llama shape with a
    /// residual stream of 128. Observed with this llama.cpp build: on Q8_0 weights, matmuls whose
    /// K is 96 or 384 do not follow the int8 path we share with it (our logits stay 2e-7 from its
    /// Q4_0 logits and from its Q8_0 logits at K = 128, 288 and 352, but move 1.6e-2 at K = 96 and
    /// 2.4e-3 at K = 384 — about its own distance to float activations, 2.3e-2, on these tiny random
    /// models). The 96-wide llama model therefore runs in Q4_0 only; llama128 covers Q8_0 on llama.
    /// </summary>
    [Theory]
    [InlineData("llama", TensorType.Q4_0, 1)]
    [InlineData("llama128", TensorType.Q4_0, 2)]
    [InlineData("llama128", TensorType.Q8_0, 2)]
    [InlineData("qwen2", TensorType.Q4_0, 3)]
    [InlineData("qwen2", TensorType.Q8_0, 2)]
    public void QuantizedLogits_MatchLlamaCpp(string architecture, TensorType matrixType, int threads)
    {
        var config = architecture == "llama128"
            ? SyntheticOracleModels.Llama with { EmbeddingLength = 128 }
            : SyntheticOracleModels.For(architecture);
        var weights = GgufModelWriter.MapMatrices(SyntheticOracleModels.Weights(config), (_, t) => RowEncoder.Convert(t, matrixType));
        architecture = config.Architecture;
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
