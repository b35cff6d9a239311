using QuantRuntime.Generation;
using QuantRuntime.Inference;
using QuantRuntime.Reasoning;

namespace QuantRuntime.Tests.Reasoning;

/// <summary>The decoder against scripted models whose probabilities are written down here.</summary>
public sealed class ChainOfThoughtDecoderTests
{
    private const string Prompt = "Q?";
    private const int PromptTokens = 3; // BOS, 'Q', '?'

    private static ScriptedModel TagModel() => new(ReasoningTestModels.Tokenizer(thinkTags: true));

    private static ScriptedModel TriggerModel() => new(ReasoningTestModels.Tokenizer(thinkTags: false));

    private static async Task<(ReasoningResult Result, List<ReasoningUpdate> Updates)> Run(ScriptedModel model, ReasoningOptions options, string prompt = Prompt)
    {
        var updates = new List<ReasoningUpdate>();
        await foreach (var update in new ChainOfThoughtDecoder(model).DecodeStreamingAsync(prompt, options))
        {
            updates.Add(update);
        }
        Assert.Equal(ReasoningUpdateKind.Completed, updates[^1].Kind);
        return (updates[^1].Result!, updates);
    }

    private static string Streamed(IEnumerable<ReasoningUpdate> updates, ReasoningUpdateKind kind, int chain = 0) =>
        string.Concat(updates.Where(u => u.Kind == kind && u.ChainIndex == chain).Select(u => u.Text));

    [Fact]
    public async Task BudgetCutOff_InjectsTheClosingMessageAndTagThenAnAnswerFollows()
    {
        var model = TagModel()
            .When(c => c.StartsWith("Q?<think>", StringComparison.Ordinal) && !c.Contains("</think>", StringComparison.Ordinal), ("x", 1.0))
            .Say("Q?<think>xxxxx Time is up.</think>", "42");
        var options = new ReasoningOptions { Budget = 5, ClosingMessage = " Time is up.", ComputeInformationGain = false };

        var (result, updates) = await Run(model, options);

        Assert.Equal(ThoughtEnd.Budget, result.Chosen.ThoughtEnd);
        Assert.Equal("xxxxx", result.Thoughts);
        Assert.Equal(5, result.ThoughtTokens);
        Assert.Equal("42", result.Answer);
        Assert.Equal(AnswerEnd.EndOfGeneration, result.Chosen.AnswerEnd);
        // The cache holds exactly: prompt, tag, thoughts, closing message, closing tag, answer.
        Assert.Equal("Q?<think>xxxxx Time is up.</think>42", model.Sessions[0].Text);
        // The stream: thoughts, then the injected message, then the answer.
        var kinds = updates.Select(u => u.Kind).Where(k => k != ReasoningUpdateKind.ChainCompleted && k != ReasoningUpdateKind.Completed).ToList();
        Assert.Equal([.. Enumerable.Repeat(ReasoningUpdateKind.Thought, 5), ReasoningUpdateKind.Injected, ReasoningUpdateKind.Answer, ReasoningUpdateKind.Answer], kinds);
        Assert.Equal(" Time is up.", Streamed(updates, ReasoningUpdateKind.Injected));
        Assert.Equal("xxxxx", Streamed(updates, ReasoningUpdateKind.Thought));
        Assert.Equal("42", Streamed(updates, ReasoningUpdateKind.Answer));
    }

    [Fact]
    public async Task DefaultClosingMessage_IsInjectedAtTheBudget()
    {
        var model = TagModel()
            .When(c => !c.Contains("</think>", StringComparison.Ordinal), ("y", 1.0))
            .Say("Q?<think>yy" + ReasoningOptions.DefaultClosingMessage + "</think>", "1");
        var (result, _) = await Run(model, new ReasoningOptions { Budget = 2, ComputeInformationGain = false });
        Assert.Equal("1", result.Answer);
        Assert.EndsWith(ReasoningOptions.DefaultClosingMessage + "</think>1", model.Sessions[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndTag_ClosesTheThoughtsWithoutInjection()
    {
        var model = TagModel()
            .Say("Q?<think>", "\n1+1=2\n", end: "</think>")
            .Say("Q?<think>\n1+1=2\n</think>", "2");
        var (result, updates) = await Run(model, new ReasoningOptions { Budget = 100, ComputeInformationGain = false });

        Assert.Equal(ThoughtEnd.EndTag, result.Chosen.ThoughtEnd);
        Assert.Equal("\n1+1=2\n", result.Thoughts);
        Assert.Equal(7, result.ThoughtTokens);
        Assert.Equal("2", result.Answer);
        Assert.DoesNotContain(updates, u => u.Kind == ReasoningUpdateKind.Injected);
        Assert.Equal("Q?<think>\n1+1=2\n</think>2", model.Sessions[0].Text);
        // The answer's scored tokens are its text and the end-of-sequence that ended it.
        Assert.Equal([model.Id("2"), ReasoningTestModels.EosId], result.Chosen.AnswerIds);
    }

    [Fact]
    public async Task EndOfGenerationWhileThinking_AppendsTheClosingTag()
    {
        var model = TagModel()
            .Say("Q?<think>", "abc", end: "</s>")
            .Say("Q?<think>abc</think>", "3");
        var (result, _) = await Run(model, new ReasoningOptions { ComputeInformationGain = false });
        Assert.Equal(ThoughtEnd.EndOfGeneration, result.Chosen.ThoughtEnd);
        Assert.Equal("abc", result.Thoughts);
        Assert.Equal("Q?<think>abc</think>3", model.Sessions[0].Text);
    }

    [Fact]
    public async Task ThoughtStopSequence_SpanningTokens_IsTakenBackFromTheCacheAndNeverShown()
    {
        var model = TagModel()
            .Say("Q?<think>", "abSTOPzz", end: "</think>")
            .Say("Q?<think>ab</think>", "7");
        var options = new ReasoningOptions { ThoughtStopSequences = ["STOP"], ComputeInformationGain = false };
        var (result, updates) = await Run(model, options);

        Assert.Equal(ThoughtEnd.StopSequence, result.Chosen.ThoughtEnd);
        Assert.Equal("ab", result.Thoughts);
        Assert.Equal(2, result.ThoughtTokens);
        Assert.Equal("ab", Streamed(updates, ReasoningUpdateKind.Thought));
        Assert.Equal("Q?<think>ab</think>7", model.Sessions[0].Text);
        Assert.Equal("7", result.Answer);
    }

    [Fact]
    public async Task ChainOfThought_EvaluatesThePromptExactlyOnce()
    {
        var model = TagModel()
            .Say("Q?<think>", "t", end: "</think>")
            .Say("Q?<think>t</think>", "4")
            .When("Q?<think></think>", ("4", 0.5), ("5", 0.5))
            .When("Q?<think></think>4", ("</s>", 1.0));
        var (result, _) = await Run(model, new ReasoningOptions());

        Assert.Equal(PromptTokens, result.PromptTokens);
        var prompt = Assert.Single(model.EvaluationsBefore(PromptTokens));
        Assert.Equal(0, prompt.Start);
        Assert.Equal("Q?<think>", model.Context(prompt.Tokens));
        // The information-gain pass starts from a copy of the prompt's cache, not a recomputation.
        var copy = Assert.Single(model.Copies);
        Assert.Equal(new ScriptedModel.Copy(1, 0, PromptTokens + 1), copy);
    }

    [Fact]
    public async Task SelfConsistency_KChainsShareThePromptEvaluatedOnce()
    {
        const int k = 3;
        var model = TagModel()
            .When(c => c == "Q?<think>", ("a", 0.5), ("b", 0.5))
            .When(c => c.Length == "Q?<think>a".Length && c.StartsWith("Q?<think>", StringComparison.Ordinal), ("</think>", 1.0))
            .When(c => c.EndsWith("</think>", StringComparison.Ordinal), ("5", 1.0))
            .When(c => c.EndsWith("</think>5", StringComparison.Ordinal), ("</s>", 1.0));
        var options = new ReasoningOptions { Mode = ReasoningMode.SelfConsistency, Samples = k, Sampling = new SamplingOptions(Temperature: 1, TopK: 0, TopP: 1, MinP: 0, Seed: 9) };
        var (result, updates) = await Run(model, options);

        Assert.Equal(k, result.Chains.Count);
        Assert.Equal("5", result.Answer);
        Assert.Equal(new AnswerVote("5", k, 0, 0), result.Votes.Single() with { BestMeanLogProbability = 0 });
        // One evaluation touched the prompt, in session 0, at position 0.
        var prompt = Assert.Single(model.EvaluationsBefore(PromptTokens));
        Assert.Equal((0, 0), (prompt.Session, prompt.Start));
        // Chains 1..k-1 copy the prompt and opening tag from session 0; every other evaluation starts after them.
        var chainCopies = model.Copies.Where(c => c.Length == PromptTokens + 1 && c.Target <= k - 1).ToList();
        Assert.Equal(Enumerable.Range(1, k - 1).Select(i => new ScriptedModel.Copy(i, 0, PromptTokens + 1)), chainCopies);
        Assert.All(model.Evaluations.Skip(1), e => Assert.True(e.Start >= PromptTokens + 1, $"evaluation at {e.Start} in session {e.Session}"));
        // Each chain streamed its own thought and answer.
        for (int c = 0; c < k; c++)
        {
            Assert.Equal(result.Chains[c].Thoughts, Streamed(updates, ReasoningUpdateKind.Thought, c));
            Assert.Equal("5", Streamed(updates, ReasoningUpdateKind.Answer, c));
            Assert.Equal($"Q?<think>{result.Chains[c].Thoughts}</think>5", model.Sessions[c].Text);
        }
        Assert.All(model.Sessions.Skip(1), s => Assert.True(s.Disposed));
    }

    /// <summary>
    /// A script whose chains part ways: the first thought token ("s") comes from the prompt's shared
    /// logits, so every chain writes it; the next comes from each chain's own session (chain i is
    /// session i), which writes <paramref name="thoughts"/>[i]; then the tag closes and any digit answer ends.
    /// </summary>
    private static ScriptedModel Diverging(string[] thoughts)
    {
        var model = TagModel().When("Q?<think>", ("s", 1.0));
        for (int s = 0; s < thoughts.Length; s++)
        {
            model.WhenSession(s, "Q?<think>s", (thoughts[s], 1.0));
            model.When($"Q?<think>s{thoughts[s]}", ("</think>", 1.0));
        }
        return model.When(c => c.Length == "Q?<think>sa</think>7".Length, ("</s>", 1.0));
    }

    [Fact]
    public async Task SelfConsistency_TiedVotes_GoToTheHigherMeanLogProbability()
    {
        // Chains 0..3 (sessions 0..3) all think "s" (the shared logits), then a, b, c, d in their own
        // sessions; a and c answer 7, b and d answer 9: a 2-2 tie.
        var model = Diverging(["a", "b", "c", "d"])
            .When("Q?<think>sa</think>", ("7", 0.6), ("8", 0.4))
            .When("Q?<think>sb</think>", ("9", 0.9), ("8", 0.1))
            .When("Q?<think>sc</think>", ("7", 0.5), ("8", 0.3), ("6", 0.2))
            .When("Q?<think>sd</think>", ("9", 0.3), ("1", 0.25), ("2", 0.25), ("3", 0.2));
        var options = new ReasoningOptions { Mode = ReasoningMode.SelfConsistency, Samples = 4, Sampling = SamplingOptions.Greedy, ComputeInformationGain = false };
        var (result, _) = await Run(model, options);

        Assert.Equal(["7", "9", "7", "9"], result.Chains.Select(c => c.Answer));
        // Mean ln p over [answer digit, EOS]: 7 -> best of ln 0.6 / 2 and ln 0.5 / 2; 9 -> best of ln 0.9 / 2 and ln 0.3 / 2.
        Assert.Equal(Math.Log(0.6) / 2, result.Chains[0].MeanAnswerLogProbability, 1e-6);
        Assert.Equal(Math.Log(0.9) / 2, result.Chains[1].MeanAnswerLogProbability, 1e-6);
        Assert.Equal("9", result.Answer);
        Assert.Equal(1, result.Chosen.Index);
        Assert.Equal(2, result.Votes.Count);
        Assert.Equal(("9", 2, 1), (result.Votes[0].Answer, result.Votes[0].Count, result.Votes[0].BestChain));
        Assert.Equal(Math.Log(0.9) / 2, result.Votes[0].BestMeanLogProbability, 1e-6);
        Assert.Equal(("7", 2, 0), (result.Votes[1].Answer, result.Votes[1].Count, result.Votes[1].BestChain));
        Assert.Equal(Math.Log(0.6) / 2, result.Votes[1].BestMeanLogProbability, 1e-6);
    }

    [Fact]
    public async Task SelfConsistency_MajorityBeatsAMoreConfidentMinority()
    {
        var model = Diverging(["a", "b", "c"])
            .When("Q?<think>sa</think>", ("7", 0.4), ("8", 0.3), ("6", 0.3))
            .When("Q?<think>sb</think>", ("9", 0.99), ("8", 0.01))
            .When("Q?<think>sc</think>", ("7", 0.4), ("8", 0.3), ("6", 0.3));
        var options = new ReasoningOptions { Mode = ReasoningMode.SelfConsistency, Samples = 3, Sampling = SamplingOptions.Greedy, ComputeInformationGain = false };
        var (result, _) = await Run(model, options);
        Assert.Equal("7", result.Answer);
        Assert.Equal(0, result.Chosen.Index);
        Assert.Equal([("7", 2), ("9", 1)], result.Votes.Select(v => (v.Answer, v.Count)));
    }

    [Fact]
    public async Task AnswerPattern_ExtractsTheFirstGroupAndVotesOnIt()
    {
        string[] answers = ["x=5.", "5", "so 6"];
        var model = TagModel();
        for (int s = 0; s < 3; s++)
        {
            model.WhenSession(s, "Q?<think>", ("</think>", 1.0));
            model.WhenSession(s, "Q?<think></think>", (answers[s][0].ToString(), 1.0));
        }
        foreach (string answer in answers)
        {
            for (int i = 1; i < answer.Length; i++)
            {
                model.When("Q?<think></think>" + answer[..i], (answer[i].ToString(), 1.0));
            }
            model.When("Q?<think></think>" + answer, ("</s>", 1.0));
        }
        var options = new ReasoningOptions
        {
            Mode = ReasoningMode.SelfConsistency, Samples = 3, Sampling = SamplingOptions.Greedy, AnswerPattern = @"(\d+)", ComputeInformationGain = false,
        };
        var (result, _) = await Run(model, options);
        Assert.Equal(["x=5.", "5", "so 6"], result.Chains.Select(c => c.AnswerText));
        Assert.Equal(["5", "5", "6"], result.Chains.Select(c => c.Answer));
        Assert.Equal("5", result.Answer);
        Assert.Equal([("5", 2), ("6", 1)], result.Votes.Select(v => (v.Answer, v.Count)));
    }

    [Theory]
    [InlineData("The answer is 42.", null, "The answer is 42.")]
    [InlineData("\n\n  42  \nmore", null, "42")]
    [InlineData("The answer is 42.", @"answer is (-?\d+)", "42")]
    [InlineData("The answer is -7", @"(-?\d+)", "-7")]
    [InlineData("value 12 or 13", @"\d+", "12")]
    [InlineData("no number", @"(\d+)", null)]
    [InlineData("   \n ", null, null)]
    public void AnswerExtraction_FirstGroupWholeMatchOrTrimmedLine(string text, string? pattern, string? expected) =>
        Assert.Equal(expected, AnswerExtraction.Extract(text, pattern));

    [Fact]
    public async Task AnswerWithoutAMatch_CastsNoVote()
    {
        var model = TagModel()
            .Say("Q?<think>", "", end: "</think>")
            .Say("Q?<think></think>", "none");
        var (result, _) = await Run(model, new ReasoningOptions { AnswerPattern = @"(\d+)", ComputeInformationGain = false });
        Assert.Null(result.Answer);
        Assert.Equal("none", result.AnswerText);
        Assert.Empty(result.Votes);
    }

    [Fact]
    public async Task InformationGain_EqualsTheHandComputation_TagModel()
    {
        var model = TagModel()
            .When("Q?<think>", ("t", 0.6), ("</think>", 0.4))
            .When("Q?<think>t", ("</think>", 1.0))
            .When("Q?<think>t</think>", ("4", 0.8), ("5", 0.2))
            .When("Q?<think>t</think>4", ("</s>", 0.9), ("2", 0.1))
            // The direct context: prompt + empty thought.
            .When("Q?<think></think>", ("4", 0.25), ("5", 0.75))
            .When("Q?<think></think>4", ("</s>", 0.5), ("2", 0.5));
        var (result, _) = await Run(model, new ReasoningOptions());

        Assert.Equal("t", result.Thoughts);
        Assert.Equal("4", result.Answer);
        var info = result.Information!;
        // log2 p(4, EOS | Q?<think>t</think>) = log2 0.8 + log2 0.9; log2 p(4, EOS | Q?<think></think>) = log2 0.25 + log2 0.5.
        const double with = -0.32192809488736235 + -0.15200309344504997;
        const double without = -2.0 + -1.0;
        Assert.Equal(2, info.AnswerTokens);
        Assert.Equal(with, info.Log2ProbabilityWithThoughts, 1e-6);
        Assert.Equal(without, info.Log2ProbabilityDirect, 1e-6);
        Assert.Equal(2.5260688116675877, info.Bits, 1e-6);
        Assert.Equal(Math.Log(0.8) + Math.Log(0.9), result.Chosen.AnswerLogProbability, 1e-6);
        // The direct pass: a copy of the prompt + <think>, then </think> and the answer (not its last token) in one pass.
        var pass = Assert.Single(model.Evaluations, e => e.AllRows);
        Assert.Equal(PromptTokens + 1, pass.Start);
        Assert.Equal([model.Id("</think>"), model.Id("4")], pass.Tokens);
    }

    [Fact]
    public async Task InformationGain_EqualsTheHandComputation_TriggerModel()
    {
        var model = TriggerModel()
            .Say("Q? T.", "x", end: "</s>")
            .When("Q? T.x A:", ("5", 0.5), ("6", 0.25), ("7", 0.25))
            .When("Q? T.x A:5", ("\n", 1.0))
            // The direct context: prompt + answer trigger.
            .When("Q? A", (":", 1.0))
            .When("Q? A:", ("5", 0.125), ("6", 0.875));
        var options = new ReasoningOptions { ThoughtTrigger = " T.", AnswerTrigger = " A:" };
        var (result, updates) = await Run(model, options);

        Assert.Null(result.Tags);
        Assert.Equal("x", result.Thoughts);
        Assert.Equal(ThoughtEnd.EndOfGeneration, result.Chosen.ThoughtEnd);
        Assert.Equal("5", result.AnswerText);
        Assert.Equal(AnswerEnd.LineBreak, result.Chosen.AnswerEnd);
        Assert.Equal([" T.", " A:"], updates.Where(u => u.Kind == ReasoningUpdateKind.Injected).Select(u => u.Text));
        // The line break ended the answer and is not part of it: a = "5" alone.
        Assert.Equal(1, result.Information!.AnswerTokens);
        Assert.Equal(-1.0, result.Information.Log2ProbabilityWithThoughts, 1e-6);
        Assert.Equal(-3.0, result.Information.Log2ProbabilityDirect, 1e-6);
        Assert.Equal(2.0, result.Information.Bits, 1e-6);
        Assert.Equal("Q? T.x A:5", model.Sessions[0].Text);
    }

    [Fact]
    public async Task TriggerModel_WritingTheAnswerTriggerItself_GetsItOnce()
    {
        var model = TriggerModel()
            .Say("Q? T.", "xy A:9")
            .Say("Q? T.xy  A:", "9", end: "\n");
        var options = new ReasoningOptions { ThoughtTrigger = " T.", AnswerTrigger = " A:", ComputeInformationGain = false };
        var (result, _) = await Run(model, options);
        Assert.Equal(ThoughtEnd.StopSequence, result.Chosen.ThoughtEnd);
        Assert.Equal("xy ", result.Thoughts);
        Assert.Equal("9", result.Answer);
        Assert.Equal("Q? T.xy  A:9", model.Sessions[0].Text);
    }

    [Fact]
    public async Task Direct_FeedsAnEmptyThoughtAndReportsNoGain()
    {
        var model = TagModel()
            .When("Q?<think></think>", ("4", 0.25), ("5", 0.75))
            .When("Q?<think></think>5", ("</s>", 1.0));
        var (result, updates) = await Run(model, new ReasoningOptions { Mode = ReasoningMode.Direct });

        Assert.Equal("5", result.Answer);
        Assert.Equal(0, result.ThoughtTokens);
        Assert.Equal(ThoughtEnd.None, result.Chosen.ThoughtEnd);
        Assert.DoesNotContain(updates, u => u.Kind is ReasoningUpdateKind.Thought or ReasoningUpdateKind.Injected);
        var prompt = Assert.Single(model.EvaluationsBefore(PromptTokens));
        Assert.Equal("Q?<think></think>", model.Context(prompt.Tokens));
        Assert.Equal("Q?<think></think>5", model.Sessions[0].Text);
        Assert.Equal(0, result.Information!.Bits);
        Assert.Equal(Math.Log2(0.75), result.Information.Log2ProbabilityDirect, 1e-6);
        Assert.Single(model.Sessions);
    }

    [Fact]
    public async Task Cancellation_StopsTheStream()
    {
        var model = TagModel().When(c => true, ("z", 1.0));
        using var cancel = new CancellationTokenSource();
        var decoder = new ChainOfThoughtDecoder(model);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in decoder.DecodeStreamingAsync(Prompt, new ReasoningOptions(), cancel.Token))
            {
                if (update.Kind == ReasoningUpdateKind.Thought)
                {
                    cancel.Cancel();
                }
            }
        });
        Assert.Equal(2, model.Evaluations.Count); // the prompt, then the first thought token
    }

    [Fact]
    public void ContextTooSmall_IsReportedBeforeAnyWork()
    {
        // Prompt 3 + <think> + </think> + 32 answer positions do not fit in 36.
        var model = new ScriptedModel(ReasoningTestModels.Tokenizer(), contextLength: 36);
        var decoder = new ChainOfThoughtDecoder(model);
        Assert.Throws<ContextOverflowException>(() =>
            decoder.DecodeStreamingAsync(Prompt, new ReasoningOptions()).ToBlockingEnumerable().ToList());
        Assert.Empty(model.Evaluations);
    }

    [Fact]
    public async Task ContextFilledByThoughts_ClosesWithTheTagAloneAndStillAnswers()
    {
        // 50 positions: prompt 3 + <think> + thoughts + </think> + 4 answer positions; the closing message does not fit.
        var model = new ScriptedModel(ReasoningTestModels.Tokenizer(), contextLength: 50)
            .When(c => !c.Contains("</think>", StringComparison.Ordinal), ("w", 1.0))
            .Say("Q?<think>" + new string('w', 41) + "</think>", "8");
        var (result, updates) = await Run(model, new ReasoningOptions { MaxAnswerTokens = 4, ComputeInformationGain = false });
        Assert.Equal(ThoughtEnd.Budget, result.Chosen.ThoughtEnd);
        Assert.Equal(41, result.ThoughtTokens);
        Assert.Equal("8", result.Answer);
        Assert.DoesNotContain(updates, u => u.Kind == ReasoningUpdateKind.Injected);
        Assert.Equal(47, model.Sessions[0].Position);
    }

    [Fact]
    public void InvalidOptions_AreRejected()
    {
        var decoder = new ChainOfThoughtDecoder(TagModel());
        Assert.Throws<ArgumentException>(() => decoder.DecodeStreamingAsync(Prompt, new ReasoningOptions { Samples = 0 }));
        Assert.Throws<ArgumentException>(() => decoder.DecodeStreamingAsync(Prompt, new ReasoningOptions { Budget = -1 }));
        Assert.Throws<ArgumentException>(() => decoder.DecodeStreamingAsync(Prompt, new ReasoningOptions { AnswerPattern = "(" }));
        Assert.Throws<ArgumentException>(() => new ChainOfThoughtDecoder(TriggerModel()).DecodeStreamingAsync(Prompt, new ReasoningOptions { Format = ThoughtFormat.Tags }));
    }

    [Fact]
    public void Tags_AreDetectedFromTheVocabularyOrTheTemplate()
    {
        Assert.Equal(ThinkingTags.Think, new ChainOfThoughtDecoder(TagModel()).ModelTags);
        Assert.Null(new ChainOfThoughtDecoder(TriggerModel()).ModelTags);
        var templated = new ScriptedModel(ReasoningTestModels.Tokenizer(thinkTags: false), chatTemplate: "{{ '<think>' }}...{{ '</think>' }}");
        Assert.Equal(ThinkingTags.Think, new ChainOfThoughtDecoder(templated).ModelTags);
    }
}
