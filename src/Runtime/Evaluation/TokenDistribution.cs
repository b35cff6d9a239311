namespace QuantRuntime.Evaluation;

/// <summary>Next-token distributions from logits, in float64: log-softmax and KL divergence.</summary>
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
        double kl = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double probability = Math.Exp(p[i]);
            if (probability > 0)
            {
                kl += probability * (p[i] - q[i]);
            }
        }
        // Exact KL is never negative; rounding can leave a -1e-17.
        return Math.Max(kl, 0);
    }
}
