using QuantRuntime.Evaluation;
using QuantRuntime.Inference;
using QuantRuntime.Models;
using QuantRuntime.Quantization;

namespace QuantRuntime.Tests.Evaluation;

/// <summary>
/// <see cref="QuantizationEvaluator"/> against an independent float64 computation written out plainly
/// here: each window run whole from an empty cache, log-softmax by hand, every statistic by its
/// textbook formula (docs/EVALUATION.md).
/// </summary>
public sealed class QuantizationEvaluatorTests
{
    private const int Context = 32;
    private const int Bos = 1;

    public static TheoryData<string, ScoredPositions> Cases => new()
    {
        { "q8_0", ScoredPositions.SecondHalf },
        { "q4_0", ScoredPositions.All },
        { "int4-g32-asym", ScoredPositions.SecondHalf },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Statistics_MatchIndependentFloat64Computation(string schemeName, ScoredPositions scoring)
    {
        var config = EvaluationTestModel.Config;
        var weights = EvaluationTestModel.Weights;
        // Three whole windows and a remainder of 5 tokens that must be left out.
        int[] stream = EvaluationTestModel.Stream(3 * Context + 5, seed: 3);
        // A batch of 5 cuts every window into uneven forward passes; the reference backend computes each row
        // independently, so the logits are the very bits of a whole-window run.
        var options = new EvaluationOptions(ContextLength: Context, Scoring: scoring, Bos: Bos, Device: ComputeDevice.Reference, BatchSize: 5, OutputHead: OutputHeadPrecision.Q8_0);
        using var evaluator = new QuantizationEvaluator(config, weights, stream, options);
        var scheme = QuantizationScheme.Parse(schemeName);
        var result = evaluator.Evaluate(scheme);
        var baseline = evaluator.Baseline!;

        // The same quantized weights, made directly.
        var quantized = ModelQuantizer.Quantize(weights, new QuantizationOptions(scheme, QuantizationMethod.RoundToNearest, OutputHeadPrecision.Q8_0)).Weights;
        var nllBase = new List<double>();
        var nll = new List<double>();
        var kld = new List<double>();
        var deltaP = new List<double>();
        int sameTop = 0;
        for (int k = 0; k < 3; k++)
        {
            int[] window = stream[(k * Context)..((k + 1) * Context)];
            window[0] = Bos;
            float[] baseLogits = EvaluationTestModel.Logits(weights, window);
            float[] logits = EvaluationTestModel.Logits(quantized, window);
            int first = scoring == ScoredPositions.SecondHalf ? Context / 2 : 0;
            for (int j = first; j <= Context - 2; j++)
            {
                int target = window[j + 1];
                double[] p = LogSoftmax(baseLogits.AsSpan(j * config.VocabularySize, config.VocabularySize));
                double[] q = LogSoftmax(logits.AsSpan(j * config.VocabularySize, config.VocabularySize));
                nllBase.Add(-p[target]);
                nll.Add(-q[target]);
                double divergence = 0;
                for (int v = 0; v < p.Length; v++)
                {
                    divergence += Math.Exp(p[v]) * (p[v] - q[v]);
                }
                kld.Add(divergence);
                deltaP.Add(Math.Exp(q[target]) - Math.Exp(p[target]));
                sameTop += ArgMax(p) == ArgMax(q) ? 1 : 0;
            }
        }
        int n = nll.Count;
        Assert.Equal(3 * (scoring == ScoredPositions.SecondHalf ? Context - 1 - Context / 2 : Context - 1), n);
        Assert.Equal(n, evaluator.Windows.ScoredTokens);

        // Per-token values.
        Near(nllBase, baseline.Tokens.LogProbabilities.Select(l => -l));
        Near(nll, result.Tokens.LogProbabilities.Select(l => -l));
        Near(kld, result.Tokens.KlDivergences, absolute: 1e-14);

        // Perplexity: exp(mean NLL), error PPL·SE(NLL).
        double pplBase = Math.Exp(nllBase.Average()), ppl = Math.Exp(nll.Average());
        Near(pplBase, baseline.Perplexity.Perplexity);
        Near(pplBase * StandardError(nllBase), baseline.Perplexity.PerplexityError);
        Near(ppl, result.Perplexity.Perplexity);
        Near(ppl * StandardError(nll), result.Perplexity.PerplexityError);
        Assert.Equal(n, result.Perplexity.Tokens);

        // Ratio from the paired differences; ΔPPL with the covariance of the two means.
        var differences = nll.Zip(nllBase, (a, b) => a - b).ToList();
        double ratio = Math.Exp(differences.Average());
        Near(ratio, result.VersusBase.Ratio);
        Near(ratio * StandardError(differences), result.VersusBase.RatioError);
        Near(ppl / pplBase, result.VersusBase.Ratio);
        Near(ppl - pplBase, result.VersusBase.Difference);
        double cov = Enumerable.Range(0, n).Sum(i => (nll[i] - nll.Average()) * (nllBase[i] - nllBase.Average())) / ((double)n * (n - 1));
        double se = StandardError(nll), seBase = StandardError(nllBase);
        Near(Math.Sqrt(ppl * ppl * se * se + pplBase * pplBase * seBase * seBase - 2 * ppl * pplBase * cov), result.VersusBase.DifferenceError);

        // KL divergence: mean ± SE, percentiles by linear interpolation between closest ranks. Each divergence
        // sums terms that cancel, so its rounding error is absolute (~1e-16), not relative to a small result.
        const double KlRounding = 1e-14;
        var sorted = kld.Order().ToArray();
        Near(kld.Average(), result.KlDivergence.Mean, KlRounding);
        Near(StandardError(kld), result.KlDivergence.MeanError, KlRounding);
        Near(n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2, result.KlDivergence.Median, KlRounding);
        double h = 0.99 * (n - 1);
        int low = (int)h;
        Near(sorted[low] + (h - low) * (sorted[low + 1] - sorted[low]), result.KlDivergence.P99, KlRounding);
        Near(sorted[^1], result.KlDivergence.Maximum, KlRounding);
        Near(sorted[0], result.KlDivergence.Minimum, KlRounding);
        Assert.True(result.KlDivergence.Mean > 0);

        // Same top token and Δp.
        Assert.Equal(sameTop, result.SameTop.Same);
        Assert.Equal(n, result.SameTop.Total);
        double f = (double)sameTop / n;
        Near(Math.Sqrt(f * (1 - f) / (n - 1)), result.SameTop.FractionError, absolute: 1e-15);
        Near(deltaP.Average(), result.ProbabilityDelta.Mean, absolute: 1e-15);
        Near(StandardError(deltaP), result.ProbabilityDelta.MeanError);
        double rms = Math.Sqrt(deltaP.Average(d => d * d));
        Near(rms, result.ProbabilityDelta.Rms);
        Near(StandardError([.. deltaP.Select(d => d * d)]) / (2 * rms), result.ProbabilityDelta.RmsError);
        Near(deltaP.Min(), result.ProbabilityDelta.Minimum);
        Near(deltaP.Max(), result.ProbabilityDelta.Maximum);

        // Size: every tensor's bytes, a tied head once.
        long bytes = quantized.Named().Sum(t => (long)t.Tensor.Data.Length);
        long elements = quantized.Named().Sum(t => (long)t.Tensor.Rows * t.Tensor.Columns);
        Assert.Equal(bytes, result.Size.Bytes);
        Near(bytes * 8.0 / elements, result.Size.BitsPerWeight);
        Assert.Equal(QuantizationMethod.RoundToNearest, result.Method);
    }

    [Fact]
    public void ModelAgainstItself_KlIsExactlyZero_AndSameTopIsAll()
    {
        var stream = EvaluationTestModel.Stream(2 * Context, seed: 5);
        using var evaluator = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream,
            new EvaluationOptions(ContextLength: Context, Bos: Bos, OutputHead: OutputHeadPrecision.Same));
        // The weights themselves, and "quantizing" an F32 model to f32 with the head left alone (nothing changes).
        foreach (var result in new[] { evaluator.EvaluateWeights("self", EvaluationTestModel.Weights), evaluator.Evaluate(QuantizationScheme.Parse("f32")) })
        {
            Assert.All(result.Tokens.KlDivergences, d => Assert.Equal(0.0, d));
            Assert.Equal(0.0, result.KlDivergence.Mean);
            Assert.Equal(0.0, result.KlDivergence.Maximum);
            Assert.Equal(1.0, result.SameTop.Fraction);
            Assert.Equal(0.0, result.ProbabilityDelta.Rms);
            Assert.Equal(1.0, result.VersusBase.Ratio);
            Assert.Equal(0.0, result.VersusBase.Difference);
            Assert.Equal(evaluator.Baseline!.Perplexity.Perplexity, result.Perplexity.Perplexity);
        }
    }

    [Fact]
    public void BaseLogitsSpilledToFile_GiveTheSameResults_AndTheFileIsDeleted()
    {
        var stream = EvaluationTestModel.Stream(3 * Context, seed: 8);
        var scheme = QuantizationScheme.Parse("q4_1");
        var options = new EvaluationOptions(ContextLength: Context, Bos: Bos);
        SchemeEvaluation inMemory;
        using (var evaluator = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream, options))
        {
            Assert.Null(evaluator.StoredLogitFile);
            inMemory = evaluator.Evaluate(scheme);
        }
        using var temp = new Support.TempDirectory();
        string? file;
        using (var evaluator = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream,
            options with { InMemoryLimitBytes = 0, SpillDirectory = temp.Path }))
        {
            file = evaluator.StoredLogitFile;
            Assert.NotNull(file);
            Assert.StartsWith(temp.Path, file);
            Assert.Equal(3L * (Context - 1 - Context / 2) * EvaluationTestModel.Config.VocabularySize * sizeof(float), evaluator.StoredLogitBytes);
            var spilled = evaluator.Evaluate(scheme);
            Assert.Equal(inMemory.Tokens.KlDivergences, spilled.Tokens.KlDivergences);
            Assert.Equal(inMemory.Tokens.LogProbabilities, spilled.Tokens.LogProbabilities);
        }
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void CancelledAfterTheBase_ReturnsTheFinishedSchemes()
    {
        var stream = EvaluationTestModel.Stream(2 * Context, seed: 9);
        using var evaluator = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream, new EvaluationOptions(ContextLength: Context));
        using var cancel = new CancellationTokenSource();
        var schemes = new[] { "q8_0", "q4_0", "q4_1" }.Select(QuantizationScheme.Parse).ToArray();
        int steps = 0;
        int total = evaluator.ProgressSteps(schemes);
        var progress = new SynchronousProgress(p =>
        {
            steps++;
            if (p.Stage == EvaluationStage.Evaluating && p.Model == "q4_0" && p.Window == 1)
            {
                cancel.Cancel();
            }
        });
        var report = evaluator.Run(schemes, progress, cancel.Token);
        Assert.False(report.Complete);
        Assert.Equal(["q8_0"], report.Schemes.Select(s => s.Name));
        // base: 2 windows; q8_0: quantize + 2 windows; q4_0: quantize + 1 window.
        Assert.Equal(2 + 3 + 2, steps);
        Assert.Equal(2 + 3 * 3, total);

        using var before = new CancellationTokenSource();
        before.Cancel();
        using var fresh = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream, new EvaluationOptions(ContextLength: Context));
        Assert.Throws<OperationCanceledException>(() => fresh.Run(schemes, null, before.Token));
    }

    [Fact]
    public void Tasks_RunOnTheBaseAndOnEveryScheme()
    {
        var task = new CountingTask();
        var stream = EvaluationTestModel.Stream(Context, seed: 10);
        using var evaluator = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream,
            new EvaluationOptions(ContextLength: Context, Tasks: [task]));
        var report = evaluator.Run([QuantizationScheme.Parse("q8_0"), QuantizationScheme.Parse("q4_0")]);
        Assert.Equal(["base", "q8_0", "q4_0"], task.Models);
        Assert.Equal("count", Assert.Single(report.Base.Tasks).Task);
        Assert.All(report.Schemes, s => Assert.Equal(0.75, Assert.Single(s.Tasks).Variants[1].Accuracy));
        Assert.Throws<ArgumentException>(() => EvaluationTasks.Create("no-such-task"));
    }

    [Fact]
    public void SearchMethod_UsesCalibration_AndFallsBackToRoundingForFloatSchemes()
    {
        var stream = EvaluationTestModel.Stream(Context, seed: 11);
        var calibration = EvaluationTestModel.Stream(48, seed: 12);
        using var evaluator = new QuantizationEvaluator(EvaluationTestModel.Config, EvaluationTestModel.Weights, stream,
            new EvaluationOptions(ContextLength: Context, Method: QuantizationMethod.Search, CalibrationTokens: calibration));
        var stages = new List<EvaluationStage>();
        var progress = new SynchronousProgress(p => stages.Add(p.Stage));
        var schemes = new[] { QuantizationScheme.Parse("int4-g32"), QuantizationScheme.Parse("f16"), QuantizationScheme.Parse("q4_0") };
        int total = evaluator.ProgressSteps(schemes);
        Assert.Equal(1 + 1 + 3 * 2, total);
        var report = evaluator.Run(schemes, progress);
        Assert.Equal([QuantizationMethod.Search, QuantizationMethod.RoundToNearest, QuantizationMethod.Search], report.Schemes.Select(s => s.Method));
        Assert.Equal(1, stages.Count(s => s == EvaluationStage.Calibrating));
        Assert.Equal(total, stages.Count);
    }

    [Fact]
    public void InvalidInputs_AreRefusedWithReasons()
    {
        var config = EvaluationTestModel.Config;
        var weights = EvaluationTestModel.Weights;
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() =>
            new QuantizationEvaluator(config, weights, [.. EvaluationTestModel.Stream(Context, 1), 80], new EvaluationOptions(ContextLength: Context))).Message);
        Assert.Contains("exceeds the model's context", Assert.Throws<ArgumentException>(() =>
            new QuantizationEvaluator(config, weights, EvaluationTestModel.Stream(200, 1), new EvaluationOptions(ContextLength: 128))).Message);
        Assert.Contains("fewer than one window", Assert.Throws<ArgumentException>(() =>
            new QuantizationEvaluator(config, weights, EvaluationTestModel.Stream(20, 1), new EvaluationOptions(ContextLength: Context))).Message);
    }

    private static double[] LogSoftmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float x in logits)
        {
            max = Math.Max(max, x);
        }
        double sum = 0;
        foreach (float x in logits)
        {
            sum += Math.Exp(x - max);
        }
        var result = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            result[i] = logits[i] - max - Math.Log(sum);
        }
        return result;
    }

    private static int ArgMax(double[] values) => Array.IndexOf(values, values.Max());

    private static double StandardError(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / ((double)values.Count * (values.Count - 1)));
    }

    private static void Near(double expected, double actual, double absolute = 0)
    {
        double tolerance = Math.Max(absolute, 1e-11 * Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R} (difference {actual - expected:E2})");
    }

    private static void Near(IEnumerable<double> expected, IEnumerable<double> actual, double absolute = 0)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Near(e[i], a[i], absolute);
        }
    }

    private sealed class SynchronousProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }

    private sealed class CountingTask : IEvaluationTask
    {
        public List<string> Models { get; } = [];

        public string Name => "count";

        public EvaluationTaskResult Run(EvaluationTaskContext context, CancellationToken cancellationToken)
        {
            Models.Add(context.ModelName);
            // The model is on the backend and usable.
            using var session = context.Model.CreateSession(new SessionOptions(ContextLength: 4, BatchSize: 4));
            var logits = new float[context.Config.VocabularySize];
            session.Evaluate([1, 2], logits);
            return new EvaluationTaskResult(Name, [new TaskAccuracy("direct", 1, 2), new TaskAccuracy("chain-of-thought", 3, 4)]);
        }
    }
}
