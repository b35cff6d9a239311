// A QuantRuntime model behind Microsoft.Extensions.AI's IChatClient: the reply streams with the
// model's thoughts (TextReasoningContent) apart from its answer (TextContent).
//
//   dotnet run --project samples/ChatClientSample -- [MODEL.gguf] [QUESTION]
//
// Without arguments it asks the repository's own arith-reasoner model "What is 4821 + 3797?".
using Microsoft.Extensions.AI;
using QuantRuntime.Extensions.AI;

string modelPath = args.Length > 0 ? args[0] : FindBundledModel();
string question = args.Length > 1 ? args[1] : "What is 4821 + 3797?";

// Everything below talks to the IChatClient abstraction; only this line names QuantRuntime.
using IChatClient client = QuantRuntimeChatClient.Load(modelPath);

var metadata = client.GetService<ChatClientMetadata>()!;
Console.WriteLine($"provider: {metadata.ProviderName}, model: {metadata.DefaultModelId}");
Console.WriteLine($"user: {question}");

List<ChatMessage> conversation = [new(ChatRole.User, question)];
var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 32 };

// 1. Streaming: thoughts and answer arrive token by token, each as its own kind of content.
var updates = new List<ChatResponseUpdate>();
string? section = null;
await foreach (var update in client.GetStreamingResponseAsync(conversation, options))
{
    updates.Add(update);
    foreach (var content in update.Contents)
    {
        switch (content)
        {
            case TextReasoningContent thought:
                Section("reasoning");
                Console.Write(thought.Text);
                break;
            case TextContent text:
                Section("answer");
                Console.Write(text.Text);
                break;
        }
    }
}
Console.WriteLine();
ChatResponse response = updates.ToChatResponse();
Console.WriteLine($"usage: {response.Usage?.InputTokenCount} input tokens, {response.Usage?.OutputTokenCount} output tokens " +
                  $"({response.Usage?.ReasoningTokenCount} reasoning) | finish: {response.FinishReason}");

// 2. Not streaming, and without thinking (ReasoningEffort.None): the model must answer at once.
var direct = await client.GetResponseAsync(conversation, new ChatOptions
{
    Temperature = 0,
    MaxOutputTokens = 32,
    Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None },
});
Console.WriteLine($"without thinking: {direct.Text}");

// The conversation goes on by sending the whole history (the client keeps no state between calls).
conversation.AddRange(response.Messages);
Console.WriteLine($"history: {conversation.Count} messages");
return 0;

void Section(string name)
{
    if (section != name)
    {
        Console.WriteLine(section is null ? $"--- {name} ---" : $"\n--- {name} ---");
        section = name;
    }
}

// models/arith-reasoner-q8_0.gguf in the current folder or one above it (the repository root).
static string FindBundledModel()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "models", "arith-reasoner-q8_0.gguf");
        if (File.Exists(candidate))
        {
            return candidate;
        }
    }
    throw new FileNotFoundException("models/arith-reasoner-q8_0.gguf not found above the current folder: pass a model path");
}
