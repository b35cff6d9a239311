namespace QuantRuntime.Training.Model;

/// <summary>Softmax cross-entropy of one logits row against a target id, with its gradient.</summary>
internal static class CrossEntropyOp
{
    /// <summary>Returns −log softmax(logits)[target] and writes scale·(softmax − onehot) into <paramref name="dLogits"/>.</summary>
    public static double ForwardBackward(ReadOnlySpan<float> logits, int target, float scale, Span<float> dLogits)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
        {
            max = MathF.Max(max, v);
        }
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float e = MathF.Exp(logits[i] - max);
            dLogits[i] = e;
            total += e;
        }
        float inverse = (float)(1.0 / total);
        for (int i = 0; i < logits.Length; i++)
        {
            dLogits[i] *= inverse * scale;
        }
        dLogits[target] -= scale;
        return Math.Log(total) + max - logits[target];
    }
}
