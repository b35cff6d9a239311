namespace QuantRuntime.Training.Model;

/// <summary>SwiGLU, a = silu(g)·u with silu(g) = g·σ(g), and its gradient.</summary>
internal static class SwiGluOp
{
    public static void Forward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++)
        {
            float g = gate[i];
            output[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>dg = da·u·σ(g)(1 + g(1 − σ(g))), du = da·silu(g) (overwriting).</summary>
    public static void Backward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, ReadOnlySpan<float> dOutput, Span<float> dGate, Span<float> dUp)
    {
        for (int i = 0; i < dOutput.Length; i++)
        {
            float g = gate[i];
            float sigma = 1f / (1f + MathF.Exp(-g));
            float da = dOutput[i];
            dUp[i] = da * g * sigma;
            dGate[i] = da * up[i] * sigma * (1f + g * (1f - sigma));
        }
    }
}
