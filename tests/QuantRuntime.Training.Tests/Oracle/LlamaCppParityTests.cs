using QuantRuntime.Generation;
using QuantRuntime.Inference;
using QuantRuntime.Tests.Oracle;
using QuantRuntime.Tests.Tokenization;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Tests.Export;

namespace QuantRuntime.Training.Tests.Oracle;

/// <summary>llama.cpp (LLamaSharp, test-only) reads our GGUF files as we do: same token ids, same logits, same greedy text.</summary>
public sealed class LlamaCppParityTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"arith-llamacpp-{Guid.NewGuid():N}.gguf");

    public void Dispose() => File.Delete(_path);

    /// <summary>The shipped model, found from the test binaries up to the repository root.</summary>
    internal static string? ShippedModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "models", "arith-reasoner.gguf");
            if (File.Exists(Path.Combine(dir.FullName, "QuantRuntime.sln")))
            {
                return File.Exists(candidate) ? candidate : null;
            }
        }
        return null;
    }

    [Fact]
    public void LlamaCppTokenizesTrainingTextsLikeUs()
    {
        ExportTests.SmallModel().Save(_path, "parity");
        using var vocabulary = new LlamaCppVocabulary(_path);
        var sampler = new ArithmeticProblemSampler(21);
        var texts = Enumerable.Range(0, 300).Select(_ => ArithmeticTask.Format(sampler.Next(), ThoughtMode.ChainOfThought))
            .Append("What is 48213 + 3797?").Append("What is 372 * 6?<think></think>").Append("other text: Ünïcode 🙂\t{}");
        foreach (string text in texts)
        {
            Assert.Equal(ArithmeticVocabulary.Tokenizer.Encode(text), vocabulary.Tokenize(text, addSpecial: true, parseSpecial: true));
        }
    }

    [Fact]
    public void LlamaCppLogitsMatchOurs()
    {
        var model = ExportTests.SmallModel();
        model.Save(_path, "parity");
        using var oracle = LlamaCppOracle.Load(_path, new LlamaCppOracleOptions(ContextLength: 192, Threads: 2));
        var tokens = ExampleEncoder.Encode(new(48213, ArithmeticOperation.Add, 3797), ThoughtMode.ChainOfThought).Tokens;
        var theirs = oracle.EvaluateAll(tokens);
        var ours = model.Logits(tokens);
        double worst = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
        }
        Assert.True(worst < 1e-3, $"largest logit difference {worst:G3}");
    }

    [Fact]
    public void ShippedModelGreedyOutputEqualsLlamaCppOn20Prompts()
    {
        string path = ShippedModel() ?? throw new InvalidOperationException("models/arith-reasoner.gguf is missing");
        using var engine = LanguageModel.Load(path, new LanguageModelOptions(ComputeDevice.Cpu));
        using var oracle = LlamaCppOracle.Load(path, new LlamaCppOracleOptions(ContextLength: 192, Threads: 2));
        var generator = new TextGenerator(engine);
        foreach (var problem in ArithmeticTask.HeldOut(20, seed: 77))
        {
            var request = new GenerationRequest { Prompt = problem.Question, MaxTokens = 150, Sampling = SamplingOptions.Greedy };
            var result = generator.GenerateAsync(request).ToBlockingEnumerable().Last().Result!;
            var theirs = oracle.GenerateGreedy([.. result.PromptIds], result.GeneratedIds.Count);
            Assert.Equal(result.GeneratedIds, theirs);
            Assert.Equal(ArithmeticVocabulary.EosId, result.GeneratedIds[^1]);
        }
    }
}
