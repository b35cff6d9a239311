namespace QuantRuntime.Training.Optimization;

/// <summary>
/// AdamW (Loshchilov and Hutter): Adam moments with bias correction and decoupled weight decay,
/// p ← p − lr·(m̂/(√v̂ + ε) + λ·p), the decay applied only where the mask says so (weight
/// matrices, not norm gains). Element-wise, so any split of the range into parallel pieces gives
/// the same result.
/// </summary>
public sealed class AdamW
{
    private readonly float[] _m;
    private readonly float[] _v;

    /// <summary>Creates zeroed moments for <paramref name="count"/> parameters.</summary>
    public AdamW(int count, double beta1 = 0.9, double beta2 = 0.95, double epsilon = 1e-8, double weightDecay = 0.1)
    {
        _m = new float[count];
        _v = new float[count];
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to √v̂.</summary>
    public double Epsilon { get; }

    /// <summary>Decoupled weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Steps taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>Starts a step (advances the bias correction); then call <see cref="Update"/> over the parameter ranges.</summary>
    public void BeginStep() => StepCount++;

    /// <summary>Updates parameters <paramref name="start"/>..start+length with their gradients (scaled by <paramref name="gradientScale"/>, e.g. for clipping).</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int start, int length, double learningRate, double gradientScale, bool decay)
    {
        if (StepCount == 0)
        {
            throw new InvalidOperationException("call BeginStep before Update");
        }
        float b1 = (float)Beta1, b2 = (float)Beta2;
        float correction1 = (float)(1 - Math.Pow(Beta1, StepCount));
        float correction2 = (float)(1 - Math.Pow(Beta2, StepCount));
        float lr = (float)learningRate, eps = (float)Epsilon, scale = (float)gradientScale;
        float decayFactor = decay ? 1f - (float)(learningRate * WeightDecay) : 1f;
        for (int i = start; i < start + length; i++)
        {
            float g = gradients[i] * scale;
            float m = _m[i] = b1 * _m[i] + (1 - b1) * g;
            float v = _v[i] = b2 * _v[i] + (1 - b2) * g * g;
            float mHat = m / correction1;
            float vHat = v / correction2;
            parameters[i] = parameters[i] * decayFactor - lr * mHat / (MathF.Sqrt(vHat) + eps);
        }
    }
}
