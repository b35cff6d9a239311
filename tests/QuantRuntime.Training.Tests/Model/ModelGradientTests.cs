using QuantRuntime.Training.Data;
using QuantRuntime.Training.Model;
using QuantRuntime.Training.Tests.Reference;
using static QuantRuntime.Training.Tests.Reference.FiniteDifference;

namespace QuantRuntime.Training.Tests.Model;

/// <summary>The whole model's gradient (every tensor, embedding to head) against finite differences of the float64 model.</summary>
public sealed class ModelGradientTests
{
    private static PackedBatch Batch() => PackedBatch.Pack(
    [
        new TrainingExample([1, 5, 3, 7, 2, 9, 4, 11, 0], LossStart: 3),
        new TrainingExample([1, 12, 6, 6, 8], LossStart: 1),
    ]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryParameterGradientMatchesFiniteDifferences(bool tied)
    {
        var layout = new ParameterLayout(Float64Model.TinyConfig(tied: tied));
        // Larger than the trainer's init so the attention and norms are far from linear.
        var parameters = Trainer.Initialize(layout, seed: 3, std: 0.3);
        var batch = Batch();
        const float scale = 0.125f;
        var transposed = new float[layout.Count];
        TransformerGraph.TransposeMatrices(layout, parameters, transposed);
        var gradients = new float[layout.Count];
        var graph = new TransformerGraph(layout, batch.Rows);
        double loss = graph.ForwardBackward(parameters, transposed, batch, gradients, scale);

        var p64 = ToDouble(parameters);
        Assert.Equal(Float64Model.Loss(layout, p64, batch, 1), loss, 1e-4);
        foreach (var slot in layout.Tensors)
        {
            // Every element of small tensors; an even spread of about 30 elements of larger ones.
            int stride = Math.Max(1, slot.Length / 30);
            var indices = Enumerable.Range(0, slot.Length).Where(i => i % stride == 0).Select(i => slot.Offset + i).ToArray();
            var numeric = indices.Select(i => Derivative(p => Float64Model.Loss(layout, p, batch, scale), p64, i)).ToArray();
            var analytic = indices.Select(i => (double)gradients[i]).ToArray();
            AssertClose(analytic, numeric, slot.Name);
        }
    }

    [Fact]
    public void ForwardLogitsMatchTheFloat64Model()
    {
        var layout = new ParameterLayout(Float64Model.TinyConfig());
        var parameters = Trainer.Initialize(layout, seed: 4, std: 0.3);
        int[] tokens = [1, 4, 4, 9, 2, 12, 0, 3];
        var logits = new TrainedModel(layout, parameters).Logits(tokens);
        var expected = Float64Model.Logits(layout, ToDouble(parameters), tokens);
        Assert.All(Enumerable.Range(0, expected.Length), i => Assert.Equal(expected[i], logits[i], 1e-5));
    }

    [Fact]
    public void GradientsAccumulateAcrossCalls()
    {
        var layout = new ParameterLayout(Float64Model.TinyConfig());
        var parameters = Trainer.Initialize(layout, seed: 5, std: 0.3);
        var transposed = new float[layout.Count];
        TransformerGraph.TransposeMatrices(layout, parameters, transposed);
        var batch = Batch();
        var graph = new TransformerGraph(layout, batch.Rows);
        var once = new float[layout.Count];
        graph.ForwardBackward(parameters, transposed, batch, once, 1f);
        var twice = new float[layout.Count];
        graph.ForwardBackward(parameters, transposed, batch, twice, 1f);
        graph.ForwardBackward(parameters, transposed, batch, twice, 1f);
        Assert.All(Enumerable.Range(0, once.Length), i => Assert.Equal(2 * once[i], twice[i], 1e-5));
    }
}
