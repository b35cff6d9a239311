using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Models;

namespace QuantRuntime.Tests.Evaluation;

/// <summary>A small seeded random model and token stream for the evaluation tests.</summary>
internal static class EvaluationTestModel
{
    /// <summary>Llama-shaped, 2 blocks, grouped-query attention, untied head; rows of 64 and 96 so every scheme's blocks fit.</summary>
    public static TransformerConfig Config { get; } = new(
        Architecture: "llama",
        EmbeddingLength: 64,
        FeedForwardLength: 96,
        BlockCount: 2,
        HeadCount: 4,
        KvHeadCount: 2,
        HeadDim: 16,
        VocabularySize: 80,
        ContextLength: 64,
        RmsNormEpsilon: 1e-5f,
        RopeTheta: 10000f,
        RopeStyle: RopeStyle.AdjacentPairs,
        TiedEmbeddings: false,
        HasQkvBias: false);

    private static readonly Lazy<TransformerWeights> LazyWeights = new(() => SyntheticWeights.Create(Config, seed: 21));

    /// <summary>F32 weights, seed 21.</summary>
    public static TransformerWeights Weights => LazyWeights.Value;

    /// <summary><paramref name="count"/> seeded ids in [3, vocabulary).</summary>
    public static int[] Stream(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(3, Config.VocabularySize))];
    }

    /// <summary>Logits after every token of <paramref name="tokens"/>, run in one batch from an empty cache on the reference backend.</summary>
    public static float[] Logits(TransformerWeights weights, int[] tokens)
    {
        using var model = TransformerModel.Create(Config, weights, new ReferenceBackend());
        using var session = model.CreateSession(new SessionOptions(ContextLength: tokens.Length, BatchSize: tokens.Length));
        var logits = new float[tokens.Length * Config.VocabularySize];
        session.EvaluateAll(tokens, logits);
        return logits;
    }
}
