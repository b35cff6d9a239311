using System.Text;
using Microsoft.Extensions.AI;
using QuantRuntime.Extensions.AI;
using QuantRuntime.Tests.Chat;
using QuantRuntime.Tests.Reasoning;
using QuantRuntime.Tests.Support;
using RuntimeReasoning = QuantRuntime.Reasoning;

namespace QuantRuntime.Tests.ChatClient;

/// <summary>A tiny random-weight GGUF with a ChatML template, ChatML control tokens and think tags, loaded once.</summary>
public sealed class ChatClientModelFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public ChatClientModelFixture()
    {
        Path = ReasoningTestModels.WriteGguf(_temp.File("chat.gguf"), thinkTags: true, chatMl: true, chatTemplate: ChatTemplateTests.ChatMlTemplate);
        Model = LanguageModel.Load(Path);
    }

    public string Path { get; }

    public LanguageModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        _temp.Dispose();
    }
}

/// <summary>
/// The runtime driven only through <see cref="IChatClient"/>: streaming and not, options mapped,
/// the chat template applied, thoughts as reasoning content, usage, cancellation, concurrency.
/// </summary>
public sealed class QuantRuntimeChatClientTests(ChatClientModelFixture fixture) : IClassFixture<ChatClientModelFixture>
{
    private const string Question = "What is 40 + 2?";
    private const string QuestionTurn = "<|im_start|>user\nWhat is 40 + 2?<|im_end|>\n<|im_start|>assistant\n";

    private static readonly ChatMessage[] Conversation = [new(ChatRole.User, Question)];

    /// <summary>A client that answers directly (the random model's thoughts would only slow the tests).</summary>
    private IChatClient DirectClient() => fixture.Model.AsIChatClient(new QuantRuntimeChatClientOptions { EnableThinking = false, MaxOutputTokens = 24 });

    private static async Task<(string Text, string Reasoning, List<ChatResponseUpdate> Updates)> Stream(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellation = default)
    {
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellation))
        {
            updates.Add(update);
            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        text.Append(t.Text);
                        break;
                    case TextReasoningContent r:
                        reasoning.Append(r.Text);
                        break;
                }
            }
        }
        return (text.ToString(), reasoning.ToString(), updates);
    }

    private static UsageDetails Usage(List<ChatResponseUpdate> updates) =>
        Assert.IsType<UsageContent>(Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>())).Details;

    [Fact]
    public async Task Streaming_AndNonStreaming_GiveTheSameReply()
    {
        using var client = DirectClient();
        var options = new ChatOptions { Temperature = 0.9f, Seed = 7 };
        var (text, reasoning, updates) = await Stream(client, Conversation, options);
        var response = await client.GetResponseAsync(Conversation, options);

        Assert.NotEmpty(text);
        Assert.Equal(text, response.Text);
        Assert.Empty(reasoning);
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.All(updates, u => Assert.Equal("reasoning-test", u.ModelId));
        Assert.Equal("reasoning-test", response.ModelId);

        // The last update carries the usage and the finish reason; the non-streaming response the same.
        Assert.NotNull(updates[^1].FinishReason);
        Assert.Equal(updates[^1].FinishReason, response.FinishReason);
        var usage = Usage(updates);
        Assert.NotNull(response.Usage);
        Assert.Equal(usage.InputTokenCount, response.Usage!.InputTokenCount);
        Assert.Equal(usage.OutputTokenCount, response.Usage.OutputTokenCount);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
        Assert.Equal(0, usage.ReasoningTokenCount);
        Assert.DoesNotContain(response.Messages.SelectMany(m => m.Contents), c => c is UsageContent);
    }

    [Fact]
    public async Task SameSeed_SameReply_OtherSeed_OtherReply_TemperatureZero_IgnoresSeed()
    {
        using var client = DirectClient();
        async Task<string> Seeded(long seed) => (await client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 1.5f, TopK = 0, TopP = 1, Seed = seed })).Text;
        string a = await Seeded(7), b = await Seeded(7), c = await Seeded(8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);

        string greedy1 = (await client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, Seed = 1 })).Text;
        string greedy2 = (await client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, Seed = 2 })).Text;
        string defaults = (await client.GetResponseAsync(Conversation)).Text;
        Assert.Equal(greedy1, greedy2);
        Assert.Equal(greedy1, defaults); // the client's default sampling is greedy
    }

    [Fact]
    public async Task MaxOutputTokens_BoundsTheAnswer()
    {
        using var client = fixture.Model.AsIChatClient(new QuantRuntimeChatClientOptions { EnableThinking = false, MaxOutputTokens = 400 });
        // Sampling at a high temperature over the whole vocabulary: the end token is unlikely to come within 3 tokens.
        var options = new ChatOptions { MaxOutputTokens = 3, Temperature = 2, TopK = 0, TopP = 1, Seed = 3, AdditionalProperties = new() { ["min_p"] = 0 } };
        var (_, _, updates) = await Stream(client, Conversation, options);
        var usage = Usage(updates);
        Assert.Equal(3, usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, updates[^1].FinishReason);
        Assert.True(updates.Count(u => u.Contents.Any(c => c is TextContent)) <= 3);

        var longerOptions = options.Clone();
        longerOptions.MaxOutputTokens = 6;
        var longer = await client.GetResponseAsync(Conversation, longerOptions);
        Assert.True(longer.Usage!.OutputTokenCount <= 6);
    }

    [Fact]
    public async Task StopSequences_EndTheAnswerBeforeTheStopText()
    {
        var model = new ScriptedModel(ReasoningTestModels.Tokenizer(thinkTags: false, chatMl: true), ChatTemplateTests.ChatMlTemplate)
            .Say(QuestionTurn, "forty-two, or 42 in digits", end: "<|im_end|>");
        using var client = new QuantRuntimeChatClient(model);
        Assert.Equal("forty-two, or 42 in digits", (await client.GetResponseAsync(Conversation)).Text);
        var (text, _, updates) = await Stream(client, Conversation, new ChatOptions { StopSequences = ["42", "two,"] });
        Assert.Equal("forty-", text); // the earliest stop text wins and is not returned
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal(6, Usage(updates).OutputTokenCount); // the tokens of the stop text are not counted
    }

    [Fact]
    public async Task StopSequences_OnTheGgufModel_CutItsGreedyReply()
    {
        using var client = DirectClient();
        string full = (await client.GetResponseAsync(Conversation)).Text;
        // A stop text of two ASCII characters from the middle of the reply (random weights also write stray bytes).
        int at = Enumerable.Range(2, Math.Max(0, full.Length - 4)).FirstOrDefault(i => char.IsAsciiLetterOrDigit(full[i]) && char.IsAsciiLetterOrDigit(full[i + 1]), -1);
        Assert.True(at > 0, $"the greedy reply '{full}' has no two ASCII letters in its middle");
        string stop = full.Substring(at, 2);

        var (text, _, updates) = await Stream(client, Conversation, new ChatOptions { StopSequences = [stop] });
        Assert.DoesNotContain(stop, text, StringComparison.Ordinal);
        Assert.StartsWith(text, full, StringComparison.Ordinal);
        Assert.True(text.Length <= full.IndexOf(stop, StringComparison.Ordinal));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public void ChatTemplate_IsAppliedToSystemUserAndAssistantMessages()
    {
        using var client = new QuantRuntimeChatClient(fixture.Model);
        Assert.Equal(RuntimeReasoning.ThinkingTags.Think, client.ThinkingTags);
        ChatMessage[] messages =
        [
            new(ChatRole.System, "You are terse."),
            new(ChatRole.User, "Hi"),
            new(ChatRole.Assistant, [new TextReasoningContent("greet back"), new TextContent("Hello!")]),
            new(ChatRole.User, "2+2?"),
        ];
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
            client.RenderPrompt(messages));
        // Instructions open the system message.
        Assert.StartsWith("<|im_start|>system\nBe brief.\n\nYou are terse.<|im_end|>\n", client.RenderPrompt(messages, new ChatOptions { Instructions = "Be brief." }));
        Assert.StartsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi", client.RenderPrompt(messages[1..], new ChatOptions { Instructions = "Be brief." }));
    }

    [Fact]
    public async Task InputTokens_AreTheRenderedConversation()
    {
        using var client = new QuantRuntimeChatClient(fixture.Model, new QuantRuntimeChatClientOptions { EnableThinking = false, MaxOutputTokens = 4 });
        var (_, _, updates) = await Stream(client, Conversation);
        var tokenizer = fixture.Model.Tokenizer!;
        int expected = 1 + tokenizer.Encode(QuestionTurn, addSpecialTokens: false, parseSpecialTokens: true).Count; // BOS + the turn
        Assert.Equal(expected, Usage(updates).InputTokenCount);
    }

    [Fact]
    public async Task ThinkingModel_StreamsThoughtsAsReasoningContent_ThenTheAnswer()
    {
        var model = new ScriptedModel(ReasoningTestModels.Tokenizer(thinkTags: true, chatMl: true), ChatTemplateTests.ChatMlTemplate)
            .Say(QuestionTurn + "<think>", "\nadd 40 and 2\n", end: "</think>")
            .Say(QuestionTurn + "<think>\nadd 40 and 2\n</think>", "\n\n42", end: "<|im_end|>");
        using var client = new QuantRuntimeChatClient(model, new QuantRuntimeChatClientOptions { ModelId = "scripted" });

        var (text, reasoning, updates) = await Stream(client, Conversation);
        Assert.Equal("add 40 and 2", reasoning);
        Assert.Equal("42", text);
        // Every thought comes before the answer, each update holds one kind of content.
        int lastThought = updates.FindLastIndex(u => u.Contents.Any(c => c is TextReasoningContent));
        int firstAnswer = updates.FindIndex(u => u.Contents.Any(c => c is TextContent));
        Assert.True(lastThought >= 0 && lastThought < firstAnswer);
        var usage = Usage(updates);
        Assert.Equal(14, usage.ReasoningTokenCount); // "\nadd 40 and 2\n", one token per character
        Assert.Equal(14 + 5, usage.OutputTokenCount); // and "\n\n42" with the end token
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);

        var response = await client.GetResponseAsync(Conversation);
        var contents = Assert.Single(response.Messages).Contents;
        Assert.Equal("add 40 and 2", Assert.IsType<TextReasoningContent>(contents[0]).Text);
        Assert.Equal("42", Assert.IsType<TextContent>(contents[1]).Text);
        Assert.Equal("42", response.Text);

        // Output = None hides the thoughts but still counts them; Effort = None answers directly (an empty thought).
        var hidden = await Stream(client, Conversation, new ChatOptions { Reasoning = new() { Output = ReasoningOutput.None } });
        Assert.Equal(("42", ""), (hidden.Text, hidden.Reasoning));
        Assert.Equal(14, Usage(hidden.Updates).ReasoningTokenCount);
        model.Say(QuestionTurn + "<think></think>", "41", end: "<|im_end|>");
        var direct = await Stream(client, Conversation, new ChatOptions { Reasoning = new() { Effort = ReasoningEffort.None } });
        Assert.Equal(("41", ""), (direct.Text, direct.Reasoning));
        Assert.Equal(0, Usage(direct.Updates).ReasoningTokenCount);
    }

    [Fact]
    public async Task ReasoningBudget_CutsTheThoughts()
    {
        var model = new ScriptedModel(ReasoningTestModels.Tokenizer(thinkTags: true, chatMl: true), ChatTemplateTests.ChatMlTemplate)
            .Say(QuestionTurn + "<think>", "abcdefgh", end: "</think>")
            .Say(QuestionTurn + "<think>abc" + RuntimeReasoning.ReasoningOptions.DefaultClosingMessage + "</think>", "7", end: "<|im_end|>");
        using var client = new QuantRuntimeChatClient(model);
        var options = new ChatOptions { AdditionalProperties = new() { [QuantRuntimeChatClient.ReasoningBudgetKey] = 3 } };
        var (text, reasoning, updates) = await Stream(client, Conversation, options);
        Assert.Equal("abc", reasoning); // the injected closing message is not the model's and is not returned
        Assert.Equal("7", text);
        Assert.Equal(3, Usage(updates).ReasoningTokenCount);
    }

    [Fact]
    public async Task RealModelWithThinkTags_SeparatesThoughtsExactlyAsTheDecoder()
    {
        using var client = new QuantRuntimeChatClient(fixture.Model);
        var options = new ChatOptions { MaxOutputTokens = 8, AdditionalProperties = new() { [QuantRuntimeChatClient.ReasoningBudgetKey] = 10 } };
        var (text, reasoning, updates) = await Stream(client, Conversation, options);

        var decoder = new RuntimeReasoning.ChainOfThoughtDecoder(fixture.Model);
        var expected = await decoder.DecodeAsync(QuestionTurn, new RuntimeReasoning.ReasoningOptions
        {
            Budget = 10, MaxAnswerTokens = 8, AnswerEndsAtLineBreak = false, ComputeInformationGain = false,
        });
        Assert.Equal(expected.Thoughts.Trim(), reasoning);
        Assert.Equal(expected.AnswerText.Trim(), text);
        var usage = Usage(updates);
        Assert.Equal(expected.ThoughtTokens, usage.ReasoningTokenCount);
        Assert.Equal(expected.ThoughtTokens + expected.AnswerTokens, usage.OutputTokenCount);
        Assert.Equal(expected.PromptTokens, usage.InputTokenCount);
    }

    [Fact]
    public async Task Cancellation_StopsTheStream()
    {
        var model = new ScriptedModel(ReasoningTestModels.Tokenizer(thinkTags: false, chatMl: true), ChatTemplateTests.ChatMlTemplate)
            .Say(QuestionTurn, "a long answer that goes on", end: "<|im_end|>");
        using var client = new QuantRuntimeChatClient(model);
        using var cancellation = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Conversation, cancellationToken: cancellation.Token))
            {
                seen++;
                cancellation.Cancel();
            }
        });
        Assert.Equal(1, seen);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Conversation, cancellationToken: cancellation.Token));
        Assert.Equal("a long answer that goes on", (await client.GetResponseAsync(Conversation)).Text); // the client is still usable
    }

    [Fact]
    public async Task ConcurrentCalls_EachGetTheirOwnSession()
    {
        using var client = DirectClient();
        ChatOptions Options(long seed) => new() { Temperature = 1.2f, TopK = 0, TopP = 1, Seed = seed };
        var sequential = new List<string>();
        for (int seed = 0; seed < 4; seed++)
        {
            sequential.Add((await client.GetResponseAsync(Conversation, Options(seed))).Text);
        }
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => client.GetResponseAsync(Conversation, Options(i % 4)))));
        for (int i = 0; i < concurrent.Length; i++)
        {
            Assert.Equal(sequential[i % 4], concurrent[i].Text);
        }
    }

    [Fact]
    public void GetService_ReturnsMetadataModelAndClient()
    {
        using var client = fixture.Model.AsIChatClient();
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal("QuantRuntime", metadata!.ProviderName);
        Assert.Equal("reasoning-test", metadata.DefaultModelId);
        Assert.Same(fixture.Model, client.GetService<LanguageModel>());
        Assert.Same(client, client.GetService<QuantRuntimeChatClient>());
        Assert.Equal(QuantRuntime.Chat.ChatTemplateFamily.ChatML, client.GetService<QuantRuntime.Chat.ChatTemplate>()!.Family);
        Assert.Null(client.GetService<ChatClientMetadata>("some key"));
        Assert.Null(client.GetService<HttpClient>());
        Assert.Equal("custom", fixture.Model.AsIChatClient(new QuantRuntimeChatClientOptions { ModelId = "custom" }).GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task UnsupportedOrInvalidOptions_AreRejectedBeforeAnythingRuns()
    {
        using var client = DirectClient();
        void Rejects<T>(ChatOptions? options, IEnumerable<ChatMessage>? messages = null) where T : Exception =>
            Assert.ThrowsAny<T>(() => client.GetStreamingResponseAsync(messages ?? Conversation, options));

        Rejects<NotSupportedException>(new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] });
        Rejects<NotSupportedException>(new ChatOptions { ResponseFormat = ChatResponseFormat.Json });
        Rejects<NotSupportedException>(new ChatOptions { FrequencyPenalty = 0.5f });
        Rejects<NotSupportedException>(new ChatOptions { PresencePenalty = 0.5f });
        Rejects<NotSupportedException>(new ChatOptions { ConversationId = "c1" });
        Rejects<NotSupportedException>(null, [new ChatMessage(ChatRole.Tool, "42")]);
        Rejects<NotSupportedException>(null, [new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")])]);
        Rejects<ArgumentException>(new ChatOptions { ModelId = "another-model" });
        Rejects<ArgumentException>(new ChatOptions { MaxOutputTokens = 0 });
        Rejects<ArgumentException>(new ChatOptions { Temperature = -1 });
        Rejects<ArgumentException>(new ChatOptions { TopP = 0 });
        Rejects<ArgumentException>(new ChatOptions { StopSequences = [""] });
        Rejects<ArgumentException>(new ChatOptions { AdditionalProperties = new() { ["min_p"] = "lots" } });
        Rejects<ArgumentException>(new ChatOptions { AdditionalProperties = new() { [QuantRuntimeChatClient.ReasoningBudgetKey] = -1 } });
        Rejects<ArgumentException>(null, []);
        await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(Conversation, new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));

        // Accepted and ignored: the text response format, the matching model id, unknown additional properties.
        var accepted = new ChatOptions { ResponseFormat = ChatResponseFormat.Text, ModelId = "reasoning-test", MaxOutputTokens = 2, AdditionalProperties = new() { ["unknown"] = true } };
        Assert.NotNull(await client.GetResponseAsync(Conversation, accepted));
    }

    [Fact]
    public async Task OwnedModel_IsDisposedWithTheClient_AndCallsAfterDisposeThrow()
    {
        var client = QuantRuntimeChatClient.Load(fixture.Path, new QuantRuntimeChatClientOptions { EnableThinking = false, MaxOutputTokens = 2 });
        Assert.NotNull(await client.GetResponseAsync(Conversation));
        client.Dispose();
        client.Dispose();
        Assert.Throws<ObjectDisposedException>(() => client.GetStreamingResponseAsync(Conversation));
    }
}
