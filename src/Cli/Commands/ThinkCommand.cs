using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using QuantRuntime.Chat;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Generation;
using QuantRuntime.Reasoning;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant think</c>: think about a prompt, then answer (chain of thought, direct or self-consistency).</summary>
internal static class ThinkCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The question", Required = true };
        var mode = new Option<string>("--mode")
        {
            Description = "direct (no thoughts), cot (one chain of thought) or self-consistency (vote over --samples chains)",
            DefaultValueFactory = _ => "cot",
        };
        mode.AcceptOnlyFromAmong("direct", "cot", "self-consistency");
        var budget = new Option<int?>("--budget") { Description = "Most thought tokens per chain; then a closing message is injected and the answer follows" };
        var samples = new Option<int>("--samples") { Description = "Chains for self-consistency", DefaultValueFactory = _ => 5 };
        var temperature = new Option<float?>("--temp") { Description = "Temperature (default: 0, greedy, for direct and cot; 0.7 for self-consistency)" };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed (chain i uses seed + i)", DefaultValueFactory = _ => 42UL };
        var hideThoughts = new Option<bool>("--hide-thoughts") { Description = "Print the answer only" };
        var pattern = new Option<string?>("--answer-pattern") { Description = "Regular expression whose first group is the answer (default: the first non-blank line of the answer text)" };
        var maxAnswer = new Option<int>("--max-answer-tokens") { Description = "Most tokens of an answer", DefaultValueFactory = _ => 64 };
        var noTemplate = new Option<bool>("--no-template") { Description = "Use the prompt as is, without the model's chat template" };
        var context = new Option<int?>("--ctx") { Description = "Context length (default: the model's)" };
        var json = CommonOptions.Json();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("think", """
            Think about a prompt, then answer: the thoughts stream first (dimmed on a terminal), then the answer.
            Models with thinking tags (<think>...</think>) think in them; others get "Let's think step by step."
            and "Therefore, the answer is". --json prints one object with the answer, the thoughts, the votes and
            the information the thoughts carry about the answer (information_gain_bits).
            Examples:
              quant think -m model.gguf -p "What is 48213 + 3797?"
              quant think -m model.gguf -p "What is 48213 + 3797?" --mode self-consistency --samples 5 --json
            """)
        {
            model, prompt, mode, budget, samples, temperature, seed, hideThoughts, pattern, maxAnswer, noTemplate, context, json, device, threads,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                var reasoningMode = ParseMode(parse.GetValue(mode)!);
                int? thoughtBudget = parse.GetValue(budget);
                float? temp = parse.GetValue(temperature);
                var options = new ReasoningOptions
                {
                    Mode = reasoningMode,
                    Budget = thoughtBudget,
                    Samples = parse.GetValue(samples),
                    Sampling = temp is null
                        ? (reasoningMode == ReasoningMode.SelfConsistency ? ReasoningOptions.DefaultSelfConsistencySampling : SamplingOptions.Greedy) with { Seed = parse.GetValue(seed) }
                        : new SamplingOptions(Temperature: temp.Value, Seed: parse.GetValue(seed)),
                    AnswerPattern = parse.GetValue(pattern),
                    MaxAnswerTokens = parse.GetValue(maxAnswer),
                };
                options.Validate();
                using var loaded = ProgressDisplay.LoadModel(path, new LanguageModelOptions(parse.GetValue(device), parse.GetValue(threads)), parse.GetValue(json));
                var reasoningModel = ReasoningModel.From(loaded);
                if (parse.GetValue(context) is int length)
                {
                    reasoningModel = new ContextLimitedModel(reasoningModel, length);
                }
                var decoder = new ChainOfThoughtDecoder(reasoningModel);
                string text = parse.GetValue(prompt)!;
                var template = ChatTemplate.ForModel(reasoningModel);
                if (!parse.GetValue(noTemplate) && template.Family != ChatTemplateFamily.Plain)
                {
                    text = template.Render([ChatMessage.User(text)], addGenerationPrompt: true);
                }
                return await RunAsync(decoder, text, options, parse.GetValue(json), parse.GetValue(hideThoughts), cancellation);
            }
            catch (Exception e)
            {
                return ErrorReporter.Report(e, path);
            }
        });
        return command;
    }

    private static ReasoningMode ParseMode(string text) => text switch
    {
        "direct" => ReasoningMode.Direct,
        "cot" => ReasoningMode.ChainOfThought,
        "self-consistency" => ReasoningMode.SelfConsistency,
        _ => throw new UsageException($"--mode: unknown mode '{text}'"),
    };

    /// <summary>The mode's name on the command line and in JSON.</summary>
    internal static string ModeName(ReasoningMode mode) => mode switch
    {
        ReasoningMode.Direct => "direct",
        ReasoningMode.SelfConsistency => "self-consistency",
        _ => "cot",
    };

    private static async Task<int> RunAsync(ChainOfThoughtDecoder decoder, string prompt, ReasoningOptions options, bool json, bool hideThoughts, CancellationToken cancellation)
    {
        var output = new ThoughtConsole(Console.Out);
        bool selfConsistency = options.Mode == ReasoningMode.SelfConsistency;
        ReasoningResult? result = null;
        await foreach (var update in decoder.DecodeStreamingAsync(prompt, options, cancellation))
        {
            if (json)
            {
                result = update.Result ?? result;
                continue;
            }
            switch (update.Kind)
            {
                case ReasoningUpdateKind.Thought or ReasoningUpdateKind.Injected when !hideThoughts:
                    if (selfConsistency)
                    {
                        output.Header(update.ChainIndex, options.Samples);
                    }
                    output.Thought(update.Text);
                    break;
                case ReasoningUpdateKind.Answer when !selfConsistency:
                    output.Answer(update.Text);
                    break;
                case ReasoningUpdateKind.ChainCompleted when selfConsistency && !hideThoughts:
                    output.Header(update.ChainIndex, options.Samples);
                    output.ChainAnswer(update.Chain!.AnswerText);
                    break;
                case ReasoningUpdateKind.Completed:
                    result = update.Result;
                    break;
            }
        }
        if (json)
        {
            JsonOutput.Print(ToJson(result!));
            return ExitCodes.Success;
        }
        if (selfConsistency)
        {
            output.Answer(result!.Answer ?? result.AnswerText.Trim());
        }
        output.EndLine();
        Console.Error.WriteLine(Summary(result!));
        return ExitCodes.Success;
    }

    private static string Summary(ReasoningResult result)
    {
        var parts = new List<string>
        {
            $"mode: {ModeName(result.Mode)}",
            $"thoughts: {result.ThoughtTokens} tokens",
            $"answer: {result.AnswerTokens} tokens",
        };
        if (result.Mode == ReasoningMode.SelfConsistency)
        {
            parts.Add("votes: " + (result.Votes.Count == 0 ? "none" : string.Join(", ", result.Votes.Select(v => $"{v.Answer} x{v.Count}"))));
        }
        if (result.Information is { } info && double.IsFinite(info.Bits))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"information: {info.Bits:F2} bits"));
        }
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{result.Seconds:F2} s"));
        return string.Join(" | ", parts);
    }

    internal static JsonObject ToJson(ReasoningResult result)
    {
        bool selfConsistency = result.Mode == ReasoningMode.SelfConsistency;
        var votes = new JsonObject();
        foreach (var vote in result.Votes)
        {
            votes[vote.Answer] = vote.Count;
        }
        var json = new JsonObject
        {
            ["mode"] = ModeName(result.Mode),
            ["style"] = result.Tags is null ? "trigger" : "tags",
            ["answer"] = result.Answer,
            ["answer_text"] = result.AnswerText,
            ["thoughts"] = selfConsistency
                ? new JsonArray([.. result.Chains.Select(c => (JsonNode?)JsonValue.Create(c.Thoughts))])
                : JsonValue.Create(result.Thoughts),
            ["thought_end"] = SnakeCase(result.Chosen.ThoughtEnd.ToString()),
            ["votes"] = votes,
            ["information_gain_bits"] = Number(result.Information?.Bits),
            ["log2_p_answer_with_thoughts"] = Number(result.Information?.Log2ProbabilityWithThoughts),
            ["log2_p_answer_direct"] = Number(result.Information?.Log2ProbabilityDirect),
            ["prompt_tokens"] = result.PromptTokens,
            ["thought_tokens"] = result.ThoughtTokens,
            ["answer_tokens"] = result.AnswerTokens,
            ["seconds"] = Seconds(result.Seconds),
            ["prompt_seconds"] = Seconds(result.PromptSeconds),
            ["thought_seconds"] = Seconds(result.ThoughtSeconds),
            ["answer_seconds"] = Seconds(result.AnswerSeconds),
        };
        if (selfConsistency)
        {
            json["chosen_chain"] = result.Chosen.Index;
            json["chains"] = new JsonArray([.. result.Chains.Select(c => (JsonNode?)new JsonObject
            {
                ["answer"] = c.Answer,
                ["answer_text"] = c.AnswerText,
                ["thought_tokens"] = c.ThoughtTokens,
                ["answer_tokens"] = c.AnswerTokens,
                ["thought_end"] = SnakeCase(c.ThoughtEnd.ToString()),
                ["mean_log_probability"] = Number(c.MeanAnswerLogProbability),
            })]);
        }
        return json;
    }

    private static JsonNode? Number(double? value) => value is double v && double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static double Seconds(double value) => Math.Round(value, 4);

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>A model whose sessions hold at most a given number of positions (<c>--ctx</c>).</summary>
    internal sealed class ContextLimitedModel(IReasoningModel inner, int contextLength) : IReasoningModel
    {
        public Tokenization.ModelTokenizer Tokenizer => inner.Tokenizer;

        public string? ChatTemplate => inner.ChatTemplate;

        public int ContextLength { get; } = contextLength > 0
            ? Math.Min(contextLength, inner.ContextLength)
            : throw new UsageException($"--ctx {contextLength} must be positive");

        public IReasoningSession CreateSession(int contextLength) => inner.CreateSession(Math.Min(contextLength, ContextLength));
    }
}

/// <summary>
/// Writes thoughts and answers: thoughts dimmed (ANSI faint) when the output is a terminal and
/// NO_COLOR is not set; plain text on redirected output.
/// </summary>
internal sealed class ThoughtConsole(TextWriter writer)
{
    private const string Dim = "\u001b[2m", Normal = "\u001b[22m";
    private readonly bool _color = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
    private int _header = -1;
    private bool _atLineStart = true;
    private bool _inThoughts;

    /// <summary>Whether thoughts are dimmed.</summary>
    public bool Color => _color;

    /// <summary>Writes thought (or injected) text.</summary>
    public void Thought(string text)
    {
        if (text.Length == 0)
        {
            return;
        }
        _inThoughts = true;
        Write(text, dim: true);
    }

    /// <summary>Writes answer text, on its own line after thoughts.</summary>
    public void Answer(string text)
    {
        if (text.Length == 0)
        {
            return;
        }
        if (_inThoughts)
        {
            EndLine();
            _inThoughts = false;
        }
        Write(text, dim: false);
    }

    /// <summary>Writes a self-consistency chain's header once per chain.</summary>
    public void Header(int chain, int chains)
    {
        if (chain == _header)
        {
            return;
        }
        _header = chain;
        EndLine();
        Write(string.Create(CultureInfo.InvariantCulture, $"--- chain {chain + 1}/{chains} ---"), dim: true);
        Write("\n", dim: false);
    }

    /// <summary>Writes a self-consistency chain's answer, dimmed, on its own line.</summary>
    public void ChainAnswer(string text)
    {
        EndLine();
        Write("-> " + text.Trim(), dim: true);
        Write("\n", dim: false);
    }

    /// <summary>Ends the current line if it has text.</summary>
    public void EndLine()
    {
        if (!_atLineStart)
        {
            Write("\n", dim: false);
        }
    }

    private void Write(string text, bool dim)
    {
        writer.Write(dim && _color ? Dim + text + Normal : text);
        writer.Flush();
        _atLineStart = text.EndsWith('\n');
    }
}
