using QuantRuntime.Formats.Gguf;
using QuantRuntime.Models;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Oracle;

/// <summary>The oracle's own plumbing: batching, greedy decoding and load failures.</summary>
public sealed class LlamaCppOracleTests
{
    [Fact]
    public void ChunkedEvaluation_MatchesOneBatch_AndGreedyFollowsArgMax()
    {
        var config = SyntheticOracleModels.Llama;
        using var temp = new TempDirectory();
        string path = temp.File("llama.gguf");
        GgufModelWriter.Build(config, SyntheticOracleModels.Weights(config), source: null).Save(path);
        int[] tokens = SyntheticOracleModels.Tokens(config.VocabularySize, 40, seed: 3);
        using var whole = LlamaCppOracle.Load(path, new LlamaCppOracleOptions(ContextLength: 64));
        using var chunked = LlamaCppOracle.Load(path, new LlamaCppOracleOptions(ContextLength: 64, BatchSize: 16));
        // llama.cpp rounds the context up (to a multiple of 256 in this build).
        Assert.True(whole.ContextLength >= 64, $"context {whole.ContextLength}");
        Assert.Equal("llama", whole.Metadata["general.architecture"]);

        var all = whole.EvaluateAll(tokens);
        var parts = chunked.EvaluateAll(tokens);
        var agreement = LogitAgreement.Measure(parts, all, whole.VocabularySize);
        Assert.True(agreement.WorstRelative <= 1e-5, agreement.ToString());
        // Every call starts from an empty cache: a repeat gives the same logits.
        Assert.Equal(all, whole.EvaluateAll(tokens));

        // Greedy after a prompt longer than a batch: each id is the arg-max of the logits
        // obtained by feeding the prompt and the ids before it.
        int[] prompt = tokens[..20];
        int[] ids = chunked.GenerateGreedy(prompt, 8);
        int[] forced = [.. prompt, .. ids[..^1]];
        var logits = whole.EvaluateAll(forced);
        int vocab = whole.VocabularySize;
        for (int step = 0; step < ids.Length; step++)
        {
            int row = prompt.Length - 1 + step;
            Assert.Equal(LlamaCppOracle.ArgMax(logits.AsSpan(row * vocab, vocab)), ids[step]);
        }
        Assert.Throws<ArgumentException>(() => whole.GenerateGreedy(tokens, whole.ContextLength - tokens.Length + 2));
    }

    [Fact]
    public void Load_RefusedFile_ThrowsWithLlamaCppLog()
    {
        using var temp = new TempDirectory();
        string path = temp.File("broken.gguf");
        File.WriteAllBytes(path, "GGUF not really a model file"u8.ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => LlamaCppOracle.Load(path));
        Assert.Contains("llama.cpp log:", e.Message, StringComparison.Ordinal);
        Assert.Contains("gguf", e.Message.Split("llama.cpp log:")[1], StringComparison.OrdinalIgnoreCase);
    }
}
