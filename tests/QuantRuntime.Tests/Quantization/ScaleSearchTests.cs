using QuantRuntime.Evaluation;
using QuantRuntime.Generation;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Models;
using QuantRuntime.Quantization;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Quantization;

/// <summary>The search quantizer against round-to-nearest.</summary>
public sealed class ScaleSearchTests
{
    private const int Vocab = Stories260KReference.Vocabulary;

    /// <summary>The F32 model's logits over the scored ids, and importance from its own sampled text, computed once for every scheme.</summary>
    private static readonly Lazy<(float[] Reference, ActivationImportance Importance)> Baseline = new(() =>
    {
        using var file = ModelFile.Open(RepositoryPaths.Stories260K);
        // Calibrate on text the model wrote itself (sampled, seed 7): no overlap with the scored ids.
        var importance = ImportanceCollector.Collect(file.Config, file.Weights, SampledIds(file, 512), window: 256, device: ComputeDevice.Cpu);
        return (Logits(file.Config, file.Weights, ScoredTokens), importance);
    });

    private static int[] ScoredTokens => [1, .. Stories260KReference.GreedyIds(256)[..255]];

    public static TheoryData<string> Int4Schemes =>
        [.. GroupScaledLayout.All.Where(l => l.Bits == 4).Select(l => l.Name)];

    [SharedFixtureTheory]
    [MemberData(nameof(Int4Schemes))]
    public void Search_LowersMeanKlDivergence_OnStories260K(string scheme)
    {
        using var file = ModelFile.Open(RepositoryPaths.Stories260K);
        int[] tokens = ScoredTokens;
        var (reference, importance) = Baseline.Value;

        double Kld(QuantizationMethod method, ActivationImportance? weights)
        {
            var options = new QuantizationOptions(QuantizationScheme.Parse(scheme), method, OutputHeadPrecision.Same, weights);
            var logits = Logits(file.Config, ModelQuantizer.Quantize(file.Weights, options).Weights, tokens);
            double total = 0;
            for (int t = 0; t < tokens.Length; t++)
            {
                total += TokenDistribution.KlDivergence(reference.AsSpan(t * Vocab, Vocab), logits.AsSpan(t * Vocab, Vocab));
            }
            return total / tokens.Length;
        }

        double rtn = Kld(QuantizationMethod.RoundToNearest, null);
        double search = Kld(QuantizationMethod.Search, importance);
        Console.WriteLine($"{scheme}: rtn {rtn:F5} search {search:F5} ({(1 - search / rtn) * 100:F1}% lower)");
        Assert.True(search < rtn, $"{scheme}: search KLD {search} is not below round-to-nearest's {rtn}");
    }

    [Fact]
    public void Search_NeverIncreasesWeightedError()
    {
        var random = new Numerics.SeededRandom(9);
        var row = Enumerable.Range(0, 512).Select(i => (float)(random.NextNormal() * (i % 50 == 0 ? 8 : 1))).ToArray();
        var importance = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble()).ToArray();
        foreach (var layout in GroupScaledLayout.All)
        {
            var rtn = new byte[QuantRuntime.Kernels.Tensors.TensorTypeInfo.Of(layout.Type).ByteCount(512)];
            var searched = new byte[rtn.Length];
            RowEncoder.Encode(layout.Type, row, rtn);
            QuantRuntime.Kernels.Quantization.GroupScaleSearch.Encode(layout.Type, row, importance, searched);
            Assert.True(WeightedError(layout, row, importance, searched) <= WeightedError(layout, row, importance, rtn), layout.Name);
        }
    }

    private static double WeightedError(GroupScaledLayout layout, float[] row, float[] weights, byte[] encoded)
    {
        var decoded = new float[row.Length];
        RowDecoder.Decode(layout.Type, encoded, decoded);
        return row.Select((x, i) => weights[i] * (x - decoded[i]) * (double)(x - decoded[i])).Sum();
    }

    private static float[] Logits(TransformerConfig config, TransformerWeights weights, int[] tokens)
    {
        using var model = TransformerModel.Create(config, weights, BackendFactory.Create(ComputeDevice.Cpu));
        using var session = model.CreateSession(new SessionOptions(ContextLength: tokens.Length, BatchSize: tokens.Length));
        var logits = new float[tokens.Length * config.VocabularySize];
        session.EvaluateAll(tokens, logits);
        return logits;
    }

    private static int[] SampledIds(ModelFile file, int count)
    {
        using var model = TransformerModel.Create(file.Config, file.Weights, BackendFactory.Create(ComputeDevice.Cpu));
        using var session = model.CreateSession();
        var sampler = new Sampler(new SamplingOptions(Temperature: 1, TopK: 0, TopP: 1, MinP: 0, Seed: 7), Vocab);
        var logits = new float[Vocab];
        var ids = new List<int> { 1 };
        session.Evaluate([1], logits);
        while (ids.Count < count)
        {
            int next = sampler.Sample(logits);
            ids.Add(next);
            if (session.Position == session.ContextLength)
            {
                break;
            }
            session.Evaluate([next], logits);
        }
        return [.. ids];
    }
}
