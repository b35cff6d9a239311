using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Models;

namespace QuantRuntime.Tests.Oracle;

/// <summary>Our reference engine driven the way <see cref="LlamaCppOracle"/> is, for side-by-side comparisons.</summary>
public static class ReferenceRun
{
    /// <summary>Logits after every token of <paramref name="tokens"/> evaluated from position 0 in one batch.</summary>
    public static float[] EvaluateAll(TransformerConfig config, TransformerWeights weights, ReadOnlySpan<int> tokens)
    {
        using var model = TransformerModel.Create(config, weights, new ReferenceBackend());
        using var session = model.CreateSession(new SessionOptions(ContextLength: tokens.Length, BatchSize: tokens.Length));
        var logits = new float[checked(tokens.Length * config.VocabularySize)];
        session.EvaluateAll(tokens, logits);
        return logits;
    }

    /// <summary>Greedy ids after <paramref name="prompt"/>, with the smallest top-1/top-2 logit gap seen on the way.</summary>
    public static (int[] Ids, double SmallestGap) GenerateGreedy(TransformerConfig config, TransformerWeights weights, ReadOnlySpan<int> prompt, int count)
    {
        using var model = TransformerModel.Create(config, weights, new ReferenceBackend());
        using var session = model.CreateSession(new SessionOptions(ContextLength: prompt.Length + count, BatchSize: Math.Max(1, prompt.Length)));
        var logits = new float[config.VocabularySize];
        var ids = new int[count];
        double smallestGap = double.PositiveInfinity;
        session.Evaluate(prompt, logits);
        for (int step = 0; step < count; step++)
        {
            ids[step] = LlamaCppOracle.ArgMax(logits);
            smallestGap = Math.Min(smallestGap, TopGap(logits));
            if (step + 1 < count)
            {
                session.Evaluate([ids[step]], logits);
            }
        }
        return (ids, smallestGap);
    }

    /// <summary>Difference between the largest and the second-largest value.</summary>
    public static double TopGap(ReadOnlySpan<float> values)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (v > first)
            {
                second = first;
                first = v;
            }
            else if (v > second)
            {
                second = v;
            }
        }
        return (double)first - second;
    }
}
