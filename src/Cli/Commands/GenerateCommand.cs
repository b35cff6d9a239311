using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Generation;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant generate</c>: stream a completion of a prompt.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Prompt text" };
        var promptIds = CommonOptions.PromptIds();
        var count = new Option<int>("--n-predict", "-n") { Description = "Tokens to generate", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temp") { Description = "Temperature; 0 is greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling threshold (1: off)", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min-p times the best (0: off)", DefaultValueFactory = _ => 0.05f };
        var penalty = new Option<float>("--repeat-penalty") { Description = "Penalty on recent tokens (1: off)", DefaultValueFactory = _ => 1.0f };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed: same seed, same output", DefaultValueFactory = _ => 42UL };
        var stop = new Option<string[]>("--stop") { Description = "Stop when this text is produced (repeatable)", AllowMultipleArgumentsPerToken = false };
        var context = new Option<int?>("--ctx") { Description = "Context length (default: the model's)" };
        var json = CommonOptions.Json();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("generate", """
            Stream a completion of a prompt, then print one summary line.
            Examples:
              quant generate -m model.gguf -p "Once upon a time" -n 64
              quant generate -m stories260K.bin --prompt-ids 1 -n 64 --temp 0
            """)
        {
            model, prompt, promptIds, count, temperature, topK, topP, minP, penalty, seed, stop, context, json, device, threads,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                string? text = parse.GetValue(prompt);
                string? ids = parse.GetValue(promptIds);
                if ((text is null) == (ids is null))
                {
                    throw new UsageException("give exactly one of --prompt and --prompt-ids");
                }
                var request = new GenerationRequest
                {
                    Prompt = text,
                    PromptIds = ids is null ? null : CommonOptions.ParseIds(ids),
                    MaxTokens = parse.GetValue(count),
                    Sampling = new SamplingOptions(
                        Temperature: parse.GetValue(temperature),
                        TopK: parse.GetValue(topK),
                        TopP: parse.GetValue(topP),
                        MinP: parse.GetValue(minP),
                        RepetitionPenalty: parse.GetValue(penalty),
                        Seed: parse.GetValue(seed)),
                    StopSequences = parse.GetValue(stop) ?? [],
                    ContextLength = parse.GetValue(context),
                };
                using var loaded = ProgressDisplay.LoadModel(path, new LanguageModelOptions(parse.GetValue(device), parse.GetValue(threads)), parse.GetValue(json));
                return await RunAsync(loaded, request, parse.GetValue(json), cancellation);
            }
            catch (Exception e)
            {
                return ErrorReporter.Report(e, path);
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(LanguageModel model, GenerationRequest request, bool json, CancellationToken cancellation)
    {
        var generator = new TextGenerator(model);
        bool idsOnly = model.Tokenizer is null;
        GenerationResult? result = null;
        await foreach (var update in generator.GenerateAsync(request, cancellation))
        {
            if (update.IsFinal)
            {
                result = update.Result;
            }
            else if (!json)
            {
                Console.Out.Write(idsOnly ? update.TokenId.ToString(CultureInfo.InvariantCulture) + " " : update.Text);
            }
        }
        if (json)
        {
            JsonOutput.Print(new JsonObject
            {
                ["prompt_ids"] = JsonOutput.Ids(result!.PromptIds),
                ["ids"] = JsonOutput.Ids(result.GeneratedIds),
                ["text"] = result.Text,
                ["prompt_tokens"] = result.PromptIds.Count,
                ["generated_tokens"] = result.GeneratedIds.Count,
                ["prompt_tokens_per_second"] = JsonOutput.Rate(result.PromptTokensPerSecond),
                ["generated_tokens_per_second"] = JsonOutput.Rate(result.GeneratedTokensPerSecond),
                ["stop_reason"] = result.StopReason.ToString(),
            });
        }
        else
        {
            Console.Out.WriteLine();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"prompt: {result!.PromptIds.Count} tokens, {result.PromptTokensPerSecond:F1} tok/s | generated: {result.GeneratedIds.Count} tokens, {result.GeneratedTokensPerSecond:F1} tok/s | stop: {result.StopReason}"));
        }
        return result.StopReason == StopReason.Cancelled ? ExitCodes.Cancelled : ExitCodes.Success;
    }
}
