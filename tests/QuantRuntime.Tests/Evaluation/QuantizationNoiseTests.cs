using QuantRuntime.Evaluation;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Quantization;

namespace QuantRuntime.Tests.Evaluation;

/// <summary>Per-tensor SQNR against a direct computation.</summary>
public sealed class QuantizationNoiseTests
{
    [Fact]
    public void Sqnr_IsSignalOverErrorEnergy_InDecibels()
    {
        var weights = EvaluationTestModel.Weights;
        var quantized = ModelQuantizer.Quantize(weights, new QuantizationOptions(QuantizationScheme.Parse("q4_0"))).Weights;
        var measured = QuantizationNoise.Measure(weights, quantized, threads: 3);
        Assert.Equal(weights.Named().Select(n => n.Name), measured.Select(m => m.Name));

        var original = weights.Blocks[1].Gate;
        var encoded = quantized.Blocks[1].Gate;
        Assert.Equal(TensorType.Q4_0, encoded.Type);
        float[] w = RowDecoder.DecodeAll(original), q = RowDecoder.DecodeAll(encoded);
        double signal = w.Sum(x => (double)x * x), noise = w.Select((x, i) => ((double)x - q[i]) * ((double)x - q[i])).Sum();
        var gate = measured.Single(m => m.Name == "blk.1.ffn_gate.weight");
        Assert.Equal(10 * Math.Log10(signal / noise), gate.SqnrDb, 9);
        Assert.InRange(gate.SqnrDb, 15, 25);
        // Norm gains are vectors, kept in F32: unchanged.
        Assert.True(double.IsPositiveInfinity(measured.Single(m => m.Name == "blk.0.attn_norm.weight").SqnrDb));
        // Independent of the thread count.
        Assert.Equal(measured, QuantizationNoise.Measure(weights, quantized, threads: 1));
    }
}
