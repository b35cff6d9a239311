using System.CommandLine;
using System.Globalization;
using QuantRuntime.Chat;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Generation;
using QuantRuntime.Inference;
using QuantRuntime.Reasoning;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant chat</c>: an interactive multi-turn chat that keeps the conversation's KV cache between turns.</summary>
internal static class ChatCommand
{
    private const string Help = """
        commands: /think on|off (think before answering), /budget N|off (thought tokens per reply),
                  /reset (forget the conversation), /exit (or end of input)
        """;

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var system = new Option<string?>("--system") { Description = "System prompt" };
        var think = new Option<string?>("--think") { Description = "on or off: think before answering (default: on when the model has thinking tags)" };
        think.AcceptOnlyFromAmong("on", "off");
        var budget = new Option<int?>("--budget") { Description = "Most thought tokens per reply" };
        var temperature = new Option<float>("--temp") { Description = "Temperature; 0 is greedy", DefaultValueFactory = _ => 0f };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 42UL };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens of a reply's answer", DefaultValueFactory = _ => 512 };
        var hideThoughts = new Option<bool>("--hide-thoughts") { Description = "Do not print the thoughts" };
        var context = new Option<int?>("--ctx") { Description = "Context length (default: the model's)" };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("chat", """
            Chat with a model, one message per line on standard input (a terminal or a pipe). The model's chat
            template is applied when it has one; the conversation's KV cache is kept, so each turn evaluates
            only its own tokens.
            """ + "\n" + Help + """

            Examples:
              quant chat -m model.gguf
              printf 'What is 2 + 3?\n/think off\nWhat is 4 + 4?\n' | quant chat -m model.gguf
            """)
        {
            model, system, think, budget, temperature, seed, maxTokens, hideThoughts, context, device, threads,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                var sampling = new SamplingOptions(Temperature: parse.GetValue(temperature), Seed: parse.GetValue(seed));
                sampling.Validate();
                using var loaded = ProgressDisplay.LoadModel(path, new LanguageModelOptions(parse.GetValue(device), parse.GetValue(threads)));
                var reasoningModel = ReasoningModel.From(loaded);
                var decoder = new ChainOfThoughtDecoder(reasoningModel);
                var defaults = ChatSession.DefaultReasoning(decoder);
                var reasoning = defaults with
                {
                    Mode = parse.GetValue(think) switch
                    {
                        "on" => ReasoningMode.ChainOfThought,
                        "off" => ReasoningMode.Direct,
                        _ => defaults.Mode,
                    },
                    Budget = parse.GetValue(budget),
                    Sampling = sampling,
                    MaxAnswerTokens = parse.GetValue(maxTokens),
                };
                reasoning.Validate();
                using var chat = new ChatSession(reasoningModel, new ChatSessionOptions
                {
                    SystemPrompt = parse.GetValue(system),
                    ContextLength = parse.GetValue(context),
                    Reasoning = reasoning,
                });
                return await RunAsync(chat, parse.GetValue(hideThoughts), cancellation);
            }
            catch (Exception e)
            {
                return ErrorReporter.Report(e, path);
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(ChatSession chat, bool hideThoughts, CancellationToken cancellation)
    {
        bool interactive = !Console.IsInputRedirected;
        if (interactive)
        {
            Console.Error.WriteLine($"chat template: {chat.Template.Name} | thinking: {OnOff(chat.Reasoning.Mode != ReasoningMode.Direct)} | /help for commands");
        }
        while (true)
        {
            if (interactive)
            {
                Console.Out.Write("> ");
                Console.Out.Flush();
            }
            string? line = await Console.In.ReadLineAsync(cancellation);
            if (line is null)
            {
                return ExitCodes.Success;
            }
            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith('/'))
            {
                if (!Command(chat, line))
                {
                    return ExitCodes.Success;
                }
                continue;
            }
            try
            {
                await ReplyAsync(chat, line, hideThoughts, cancellation);
            }
            catch (ContextOverflowException e)
            {
                Console.Error.WriteLine($"error: {e.Message}; /reset to start a new conversation");
            }
        }
    }

    private static async Task ReplyAsync(ChatSession chat, string message, bool hideThoughts, CancellationToken cancellation)
    {
        var output = new ThoughtConsole(Console.Out);
        await foreach (var update in chat.SendStreamingAsync(message, cancellation))
        {
            switch (update.Kind)
            {
                case ReasoningUpdateKind.Thought or ReasoningUpdateKind.Injected when !hideThoughts:
                    output.Thought(update.Text);
                    break;
                case ReasoningUpdateKind.Answer:
                    output.Answer(update.Text);
                    break;
            }
        }
        output.EndLine();
    }

    /// <summary>Runs a slash command; false to end the chat.</summary>
    private static bool Command(ChatSession chat, string line)
    {
        var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string argument = parts.Length > 1 ? parts[1] : string.Empty;
        switch (parts[0])
        {
            case "/exit" or "/quit":
                return false;
            case "/help":
                Console.Error.WriteLine(Help);
                break;
            case "/reset":
                chat.Reset();
                Console.Error.WriteLine("conversation reset");
                break;
            case "/think" when argument is "on" or "off":
                chat.Reasoning = chat.Reasoning with { Mode = argument == "on" ? ReasoningMode.ChainOfThought : ReasoningMode.Direct };
                Console.Error.WriteLine($"thinking: {argument}");
                break;
            case "/think" when argument.Length == 0:
                Console.Error.WriteLine($"thinking: {OnOff(chat.Reasoning.Mode != ReasoningMode.Direct)}");
                break;
            case "/budget" when argument == "off":
                chat.Reasoning = chat.Reasoning with { Budget = null };
                Console.Error.WriteLine("budget: off");
                break;
            case "/budget" when int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out int budget):
                chat.Reasoning = chat.Reasoning with { Budget = budget };
                Console.Error.WriteLine($"budget: {budget} tokens");
                break;
            case "/budget" when argument.Length == 0:
                Console.Error.WriteLine($"budget: {(chat.Reasoning.Budget is int b ? b.ToString(CultureInfo.InvariantCulture) + " tokens" : "off")}");
                break;
            default:
                Console.Error.WriteLine($"error: unknown command '{line}'");
                Console.Error.WriteLine(Help);
                break;
        }
        return true;
    }

    private static string OnOff(bool value) => value ? "on" : "off";
}
