using QuantRuntime.Formats.Gguf;
using QuantRuntime.Inference;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Evaluation;

namespace QuantRuntime.Training.Tests.Export;

/// <summary>The exported GGUF in our engine: same tokenizer, same logits as the trainer's forward pass.</summary>
public sealed class ExportTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"arith-export-{Guid.NewGuid():N}.gguf");

    public void Dispose() => File.Delete(_path);

    internal static TrainedModel SmallModel()
    {
        // A few steps at a high rate so the weights are not the symmetric initial ones.
        var options = TrainingRunTests.Tiny(threads: 2, steps: 6) with { PeakLearningRate = 2e-2 };
        return new Trainer(options).Run();
    }

    [Fact]
    public void EngineLogitsEqualTrainerLogits()
    {
        var model = SmallModel();
        model.Save(_path, "export-test", extra: new Dictionary<string, string> { ["quantruntime.training.recipe"] = "test" });
        using var engine = LanguageModel.Load(_path, new LanguageModelOptions(ComputeDevice.Reference));
        Assert.Equal("export-test", engine.File.Gguf!.Metadata.GetString("general.name"));
        Assert.Equal("test", engine.File.Gguf!.Metadata.GetString("quantruntime.training.recipe"));
        Assert.Equal(model.Config, engine.Config);

        var tokens = ExampleEncoder.Encode(new(877, ArithmeticOperation.Subtract, 5120), ThoughtMode.ChainOfThought).Tokens;
        Assert.Equal(engine.Tokenizer!.Encode("What is 877 - 5120?"), tokens[..13]);
        var expected = model.Logits(tokens);
        using var session = engine.CreateSession();
        var actual = new float[expected.Length];
        session.EvaluateAll(tokens, actual);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }
        Assert.True(worst <= 1e-4, $"largest logit difference {worst:G3}");
    }

    [Fact]
    public void EvaluatorAsksAndScoresThroughTheEngine()
    {
        SmallModel().Save(_path, "eval-test");
        using var engine = LanguageModel.Load(_path, new LanguageModelOptions(ComputeDevice.Reference));
        var evaluator = new ArithmeticEvaluator(engine, threads: 2) { MaxTokens = 8 };
        var problems = ArithmeticTask.HeldOut(6, seed: 2);
        var cot = evaluator.Evaluate(problems, EvaluationMode.ChainOfThought);
        Assert.Equal(6, cot.Total);
        Assert.Equal(problems, cot.Outcomes.Select(o => o.Problem));
        var direct = evaluator.Evaluate(problems, EvaluationMode.Direct);
        Assert.All(direct.Outcomes, o => Assert.StartsWith("<think></think>", o.Output));
        var voted = evaluator.Evaluate(problems, EvaluationMode.SelfConsistency, samples: 3);
        Assert.Equal(3, voted.Samples);
        Assert.All(voted.Outcomes, o => Assert.True(o.Votes.Values.Sum() <= 3));
        // Seeded: the same call gives the same outputs.
        Assert.Equal(voted.Outcomes.Select(o => o.Output), evaluator.Evaluate(problems, EvaluationMode.SelfConsistency, samples: 3).Outcomes.Select(o => o.Output));
    }
}
