using QuantRuntime.Evaluation;
using QuantRuntime.Generation;
using QuantRuntime.Reasoning;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Reasoning;

/// <summary>
/// The decoder on a real (tiny, random-weight) GGUF through the engine's own sessions, checked
/// against independent paths: the text generator, a single chain-of-thought run per seed, and a
/// full-sequence evaluation in a fresh session.
/// </summary>
public sealed class RealModelReasoningTests : IDisposable
{
    private const string Prompt = "What is 2 + 3?";
    private readonly TempDirectory _temp = new();
    private readonly LanguageModel _model;

    public RealModelReasoningTests()
    {
        _model = LanguageModel.Load(ReasoningTestModels.WriteGguf(_temp.File("tiny.gguf")), new LanguageModelOptions(Threads: 1));
    }

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Direct_AnswersAsTheTextGeneratorDoesAfterAnEmptyThought()
    {
        var decoder = new ChainOfThoughtDecoder(_model);
        Assert.Equal(ThinkingTags.Think, decoder.ModelTags);
        var result = await decoder.DecodeAsync(Prompt, new ReasoningOptions { Mode = ReasoningMode.Direct, MaxAnswerTokens = 12, AnswerEndsAtLineBreak = false });

        GenerationResult? generated = null;
        await foreach (var update in new TextGenerator(_model).GenerateAsync(new GenerationRequest { Prompt = Prompt + "<think></think>", MaxTokens = 12, Sampling = SamplingOptions.Greedy }))
        {
            generated = update.Result ?? generated;
        }
        Assert.Equal(generated!.GeneratedIds, result.Chosen.AnswerIds);
        Assert.Equal(generated.Text, result.AnswerText);
    }

    [Fact]
    public async Task SelfConsistencyChains_EqualSeparateRunsWithTheirSeeds()
    {
        var decoder = new ChainOfThoughtDecoder(_model);
        var sampling = new SamplingOptions(Temperature: 1.0f, TopK: 0, TopP: 1, MinP: 0, Seed: 100);
        var options = new ReasoningOptions { Budget = 6, MaxAnswerTokens = 4, Sampling = sampling, AnswerEndsAtLineBreak = false, ComputeInformationGain = false };
        var voted = await decoder.DecodeAsync(Prompt, options with { Mode = ReasoningMode.SelfConsistency, Samples = 3 });
        for (int i = 0; i < 3; i++)
        {
            var single = await decoder.DecodeAsync(Prompt, options with { Sampling = sampling with { Seed = 100 + (ulong)i } });
            Assert.Equal(single.Chosen.ThoughtIds, voted.Chains[i].ThoughtIds);
            Assert.Equal(single.Chosen.AnswerIds, voted.Chains[i].AnswerIds);
            Assert.Equal(single.Chosen.AnswerLogProbability, voted.Chains[i].AnswerLogProbability, 1e-4);
        }
    }

    [Fact]
    public async Task InformationGain_MatchesAFullSequenceEvaluation()
    {
        var decoder = new ChainOfThoughtDecoder(_model);
        var result = await decoder.DecodeAsync(Prompt, new ReasoningOptions { Budget = 5, MaxAnswerTokens = 4, AnswerEndsAtLineBreak = false });
        var tokenizer = _model.Tokenizer!;
        var prompt = decoder.EncodePrompt(Prompt);
        int think = tokenizer.Encode("<think>", addSpecialTokens: false)[0], close = tokenizer.Encode("</think>", addSpecialTokens: false)[0];
        var closing = result.Chosen.ThoughtEnd == ThoughtEnd.Budget
            ? tokenizer.Encode(ReasoningOptions.DefaultClosingMessage, addSpecialTokens: false)
            : [];
        var answer = result.Chosen.AnswerIds;
        double with = Log2Probability([.. prompt, think, .. result.Chosen.ThoughtIds, .. closing, close], answer);
        double without = Log2Probability([.. prompt, think, close], answer);
        var info = result.Information!;
        Assert.Equal(with, info.Log2ProbabilityWithThoughts, 1e-3);
        Assert.Equal(without, info.Log2ProbabilityDirect, 1e-3);
        Assert.Equal(with - without, info.Bits, 1e-3);
    }

    /// <summary>log2 p(answer | context) from one fresh session over the whole sequence.</summary>
    private double Log2Probability(int[] context, IReadOnlyList<int> answer)
    {
        int[] sequence = [.. context, .. answer];
        int vocabulary = _model.Config.VocabularySize;
        using var session = _model.CreateSession();
        var logits = new float[sequence.Length * vocabulary];
        session.EvaluateAll(sequence, logits);
        var row = new double[vocabulary];
        double sum = 0;
        for (int j = 0; j < answer.Count; j++)
        {
            int at = context.Length + j - 1;
            TokenDistribution.LogSoftmax(logits.AsSpan(at * vocabulary, vocabulary), row);
            sum += row[answer[j]];
        }
        return sum / Math.Log(2);
    }
}
