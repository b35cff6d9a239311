using QuantRuntime.Models;
using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Tests;

/// <summary>Whole runs of the trainer on a tiny model with the task's vocabulary.</summary>
public sealed class TrainingRunTests
{
    internal static TrainingOptions Tiny(int threads, int steps = 4) => new()
    {
        Model = TrainingOptions.DefaultModel with { EmbeddingLength = 32, FeedForwardLength = 64, BlockCount = 2, HeadCount = 2, KvHeadCount = 1, HeadDim = 16 },
        Seed = 17,
        Threads = threads,
        Steps = steps,
        BatchSize = 6,
        Microbatches = 3,
        WarmupSteps = 2,
        PeakLearningRate = 3e-3,
    };

    [Fact]
    public void SameSeedAndThreadsGiveBitIdenticalWeights()
    {
        var first = new Trainer(Tiny(threads: 2)).Run().Parameters;
        var second = new Trainer(Tiny(threads: 2)).Run().Parameters;
        Assert.Equal(first, second);
        // The reduction order is fixed by the microbatches, not the threads: one thread agrees too.
        Assert.Equal(first, new Trainer(Tiny(threads: 1)).Run().Parameters);
        // And training did something.
        Assert.NotEqual(Trainer.Initialize(new QuantRuntime.Training.Model.ParameterLayout(Tiny(1).Model), 17, 0.02), first);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentWeights() =>
        Assert.NotEqual(new Trainer(Tiny(2, steps: 1)).Run().Parameters, new Trainer(Tiny(2, steps: 1) with { Seed = 18 }).Run().Parameters);

    [Fact]
    public void LossFallsOnATinyRun()
    {
        var losses = new List<double>();
        new Trainer(Tiny(2, steps: 20) with { BatchSize = 4, Microbatches = 2, PeakLearningRate = 1e-2 }).Run(p => losses.Add(p.Loss));
        Assert.True(losses.TakeLast(5).Average() < 0.6 * losses.Take(3).Average(), $"loss {losses[0]:F3} -> {losses[^1]:F3}");
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new Trainer(Tiny(2) with { Microbatches = 7 }));
        Assert.Throws<ArgumentException>(() => new Trainer(Tiny(2) with { Model = Tiny(2).Model with { VocabularySize = 100 } }));
        Assert.Throws<ArgumentException>(() => new Trainer(Tiny(2) with { Model = Tiny(2).Model with { HasQkvBias = true } }));
    }

    [Fact]
    public void CommandLineOptionsParse()
    {
        var o = TrainCommandRunner.ParseTrain(["--steps", "10", "--seed", "5", "--threads", "1", "--dim", "64", "--heads", "4", "--kv-heads", "2", "--out", "x.gguf"]);
        Assert.Equal(10, o.Training.Steps);
        Assert.Equal(5UL, o.Training.Seed);
        Assert.Equal(16, o.Training.Model.HeadDim);
        Assert.Equal("x.gguf", o.OutputPath);
        Assert.Throws<ArgumentException>(() => TrainCommandRunner.ParseTrain(["--stpes", "10"]));
        Assert.Throws<ArgumentException>(() => TrainCommandRunner.ParseTrain(["--steps", "ten"]));
        var e = TrainCommandRunner.ParseEval(["--modes", "cot,sc", "--samples", "7"]);
        Assert.Equal([Evaluation.EvaluationMode.ChainOfThought, Evaluation.EvaluationMode.SelfConsistency], e.Modes);
        Assert.Equal(7, e.Samples);
    }
}
