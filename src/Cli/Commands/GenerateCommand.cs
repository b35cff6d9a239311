using System.CommandLine;
using System.Globalization;
using System.Text;
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
        var promptFile = new Option<string?>("--file", "-f") { Description = "Read the prompt text from this UTF-8 file" };
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
              quant generate -m model.gguf -f prompt.txt -n 64
            """)
        {
            model, prompt, promptFile, promptIds, count, temperature, topK, topP, minP, penalty, seed, stop, context, json, device, threads,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                string? text = parse.GetValue(prompt);
                string? file = parse.GetValue(promptFile);
                string? ids = parse.GetValue(promptIds);
                if ((text is null ? 0 : 1) + (file is null ? 0 : 1) + (ids is null ? 0 : 1) != 1)
                {
                    throw new UsageException("give exactly one of --prompt, --file and --prompt-ids");
                }
                if (text is { Length: 0 })
                {
                    throw new UsageException("--prompt is empty");
                }
                text ??= file is null ? null : ReadPromptFile(file);
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

    /// <summary>The most prompt text a file may hold: more than any context this runtime accepts (2^24 tokens).</summary>
    private const long MaxPromptFileBytes = 64L << 20;

    /// <summary>Reads a prompt file as strict UTF-8 (a leading byte-order mark is dropped); invalid or empty text is a usage error naming the file.</summary>
    private static string ReadPromptFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException($"--file: '{path}' is a folder, not a prompt file");
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"prompt file '{path}' does not exist", path);
        }
        long length = new FileInfo(path).Length;
        if (length > MaxPromptFileBytes)
        {
            throw new UsageException($"--file: '{path}' is {length} bytes; a prompt file may hold at most {MaxPromptFileBytes >> 20} MiB");
        }
        byte[] bytes = File.ReadAllBytes(path);
        var utf8 = bytes.AsSpan();
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(utf8);
        }
        catch (DecoderFallbackException e)
        {
            string at = e.Index >= 0 ? string.Create(CultureInfo.InvariantCulture, $" at byte {e.Index + (bytes.Length - utf8.Length)}") : "";
            throw new UsageException($"--file: '{path}' is not valid UTF-8 text{at}");
        }
        if (text.Length == 0)
        {
            throw new UsageException($"--file: '{path}' is empty");
        }
        return text;
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
