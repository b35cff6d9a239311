using QuantRuntime.Chat;
using QuantRuntime.Generation;
using QuantRuntime.Reasoning;
using QuantRuntime.Tests.Reasoning;

namespace QuantRuntime.Tests.Chat;

/// <summary>A conversation keeps its KV cache: each turn evaluates only its own tokens.</summary>
public sealed class ChatSessionTests
{
    private const string Turn1 = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
    private const string Turn2 = "<|im_end|>\n<|im_start|>user\nMore<|im_end|>\n<|im_start|>assistant\n";

    private static ScriptedModel Model() =>
        new(ReasoningTestModels.Tokenizer(thinkTags: true, chatMl: true), ChatTemplateTests.ChatMlTemplate);

    private static ReasoningOptions Options => new() { AnswerEndsAtLineBreak = false, MaxAnswerTokens = 16, ComputeInformationGain = false };

    private static async Task<ReasoningResult> Send(ChatSession chat, string message, CancellationToken cancellation = default)
    {
        ReasoningResult? result = null;
        await foreach (var update in chat.SendStreamingAsync(message, cancellation))
        {
            result = update.Result ?? result;
        }
        return result!;
    }

    [Fact]
    public async Task SecondTurn_EvaluatesOnlyItsOwnTokens()
    {
        var model = Model()
            .Say(Turn1 + "<think>", "ok", end: "</think>")
            .Say(Turn1 + "<think>ok</think>", "Yo", end: "<|im_end|>")
            .Say(Turn1 + "<think>ok</think>Yo" + Turn2 + "<think></think>", "Ok", end: "<|im_end|>");
        using var chat = new ChatSession(model, new ChatSessionOptions { Reasoning = Options });
        Assert.Equal(ChatTemplateFamily.ChatML, chat.Template.Family);

        var first = await Send(chat, "Hi");
        Assert.Equal("Yo", first.AnswerText);
        Assert.Equal("ok", first.Thoughts);
        int cached = chat.CachedTokens;
        int evaluationsAfterTurn1 = model.Evaluations.Count;
        Assert.Equal(1 + model.Tokenizer.Encode(Turn1 + "<think>ok</think>Yo", addSpecialTokens: false).Count, cached);

        chat.Reasoning = chat.Reasoning with { Mode = ReasoningMode.Direct };
        var second = await Send(chat, "More");
        Assert.Equal("Ok", second.AnswerText);

        // Turn 2's first evaluation starts where turn 1 ended and holds only the new turn and the empty thought.
        var turn2 = model.Evaluations[evaluationsAfterTurn1];
        Assert.Equal(cached, turn2.Start);
        Assert.Equal(Turn2 + "<think></think>", model.Tokenizer.Decode(turn2.Tokens));
        Assert.All(model.Evaluations.Skip(evaluationsAfterTurn1), e => Assert.True(e.Start >= cached));
        Assert.Single(model.Sessions);
        Assert.Equal(Turn1 + "<think>ok</think>Yo" + Turn2 + "<think></think>Ok", model.Sessions[0].Text);
        Assert.Equal(
            [ChatMessage.User("Hi"), ChatMessage.Assistant("Yo"), ChatMessage.User("More"), ChatMessage.Assistant("Ok")],
            chat.Messages);
    }

    [Fact]
    public async Task SelfConsistencyTurn_LeavesTheWinningChainInTheCache()
    {
        // Every chain writes "s" from the shared logits, then its own session (chain i is session i) parts ways.
        var model = Model().When(Turn1 + "<think>", ("s", 1.0));
        model.WhenSession(0, Turn1 + "<think>s", ("a", 1.0));
        model.WhenSession(1, Turn1 + "<think>s", ("b", 1.0));
        model.WhenSession(2, Turn1 + "<think>s", ("c", 1.0));
        foreach (string t in new[] { "a", "b", "c" })
        {
            model.When(Turn1 + "<think>s" + t, ("</think>", 1.0));
        }
        model.When(Turn1 + "<think>sa</think>", ("1", 1.0))
            .When(Turn1 + "<think>sb</think>", ("2", 1.0))
            .When(Turn1 + "<think>sc</think>", ("2", 1.0))
            .When(c => c.EndsWith("</think>1", StringComparison.Ordinal) || c.EndsWith("</think>2", StringComparison.Ordinal), ("<|im_end|>", 1.0));
        var options = Options with { Mode = ReasoningMode.SelfConsistency, Samples = 3, Sampling = SamplingOptions.Greedy };
        using var chat = new ChatSession(model, new ChatSessionOptions { Reasoning = options });

        var result = await Send(chat, "Hi");
        Assert.Equal("2", result.Answer);
        Assert.Equal(1, result.Chosen.Index);
        Assert.Equal(Turn1 + "<think>sb</think>2", model.Sessions[0].Text);
        Assert.Equal(model.Sessions[0].Position, chat.CachedTokens);
    }

    [Fact]
    public async Task AnInterruptedTurn_IsDroppedAndTheNextTurnRebuildsTheCache()
    {
        var model = Model()
            .Say(Turn1 + "<think>", "ok", end: "</think>")
            .Say(Turn1 + "<think>ok</think>", "Yo", end: "<|im_end|>")
            .When(c => c.StartsWith(Turn1 + "<think>ok</think>Yo" + Turn2, StringComparison.Ordinal), ("z", 1.0))
            .Say("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n<|im_start|>assistant\n<think></think>", "Ok", end: "<|im_end|>");
        using var chat = new ChatSession(model, new ChatSessionOptions { Reasoning = Options });
        await Send(chat, "Hi");

        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in chat.SendStreamingAsync("More", cancel.Token))
            {
                cancel.Cancel();
            }
        });
        Assert.Equal([ChatMessage.User("Hi"), ChatMessage.Assistant("Yo")], chat.Messages);

        chat.Reasoning = chat.Reasoning with { Mode = ReasoningMode.Direct };
        int before = model.Evaluations.Count;
        var result = await Send(chat, "Again");
        Assert.Equal("Ok", result.AnswerText);
        Assert.Equal(0, model.Evaluations[before].Start); // the history is evaluated again, from the start
    }

    [Fact]
    public async Task Reset_ForgetsTheConversationButKeepsTheSystemPrompt()
    {
        const string system = "<|im_start|>system\nBe brief.<|im_end|>\n";
        var model = Model()
            .Say(system + Turn1 + "<think></think>", "Yo", end: "<|im_end|>");
        using var chat = new ChatSession(model, new ChatSessionOptions { SystemPrompt = "Be brief.", Reasoning = Options with { Mode = ReasoningMode.Direct } });
        await Send(chat, "Hi");
        chat.Reset();
        Assert.Equal([ChatMessage.System("Be brief.")], chat.Messages);
        Assert.Equal(0, chat.CachedTokens);
        var again = await Send(chat, "Hi");
        Assert.Equal("Yo", again.AnswerText);
    }

    [Fact]
    public void DefaultReasoning_ThinksOnlyWithTags()
    {
        Assert.Equal(ReasoningMode.ChainOfThought, new ChatSession(Model()).Reasoning.Mode);
        var plain = new ScriptedModel(ReasoningTestModels.Tokenizer(thinkTags: false, chatMl: true), ChatTemplateTests.ChatMlTemplate);
        Assert.Equal(ReasoningMode.Direct, new ChatSession(plain).Reasoning.Mode);
    }
}
