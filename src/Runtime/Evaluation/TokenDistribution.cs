namespace QuantRuntime.Evaluation;

/// <summary>Next-token distributions from logits, in float64: log-softmax, KL divergence, arg-max.</summary>
public static class TokenDistribution
{
    /// <summary>log softmax(<paramref name="logits"/>) into <paramref name="logProbabilities"/>, stable for any logit scale.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> logits, Span<double> logProbabilities)
    {
        if (logits.Length != logProbabilities.Length || logits.IsEmpty)
        {
            throw new ArgumentException("logits and output must have the same, non-zero length");
        }
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }
        double total = 0;
        foreach (float v in logits)
        {
            total += Math.Exp(v - max);
        }
        double logTotal = max + Math.Log(total);
        for (int i = 0; i < logits.Length; i++)
        {
            logProbabilities[i] = logits[i] - logTotal;
        }
    }

    /// <summary>
    /// KL(P ‖ Q) = Σ p·(log p − log q) in nats, with P the reference (base model) distribution and
    /// Q the one being judged, as llama.cpp's <c>--kl-divergence</c> reports it.
    /// </summary>
    public static double KlDivergence(ReadOnlySpan<float> referenceLogits, ReadOnlySpan<float> logits)
    {
        var p = new double[referenceLogits.Length];
        var q = new double[logits.Length];
        LogSoftmax(referenceLogits, p);
        LogSoftmax(logits, q);
        return KlDivergence(p, q);
    }

    /// <summary>
    /// KL(P ‖ Q) from log-probabilities: Σ over tokens with p &gt; 0 of p·(ln p − ln q), nats; a sum that
    /// rounding leaves below zero (−1e-17) is returned as 0, since the exact value never is negative.
    /// </summary>
    public static double KlDivergence(ReadOnlySpan<double> referenceLogProbabilities, ReadOnlySpan<double> logProbabilities)
    {
        if (referenceLogProbabilities.Length != logProbabilities.Length)
        {
            throw new ArgumentException("the two distributions have different lengths");
        }
        double kl = 0;
        for (int i = 0; i < referenceLogProbabilities.Length; i++)
        {
            double probability = Math.Exp(referenceLogProbabilities[i]);
            if (probability > 0)
            {
                kl += probability * (referenceLogProbabilities[i] - logProbabilities[i]);
            }
        }
        return Math.Max(kl, 0);
    }

    /// <summary>Index of the largest value; the lowest index among equals (as the greedy sampler).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("no values");
        }
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
