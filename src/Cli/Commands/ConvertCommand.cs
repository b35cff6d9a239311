using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Formats.HuggingFace;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Quantization;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant convert</c>: write a Hugging Face checkpoint folder as a GGUF file llama.cpp loads.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "Hugging Face checkpoint folder (config.json, model.safetensors or shards with their index, tokenizer.json)",
            Required = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "Output GGUF file (written atomically; never inside the input folder)", Required = true };
        var scheme = new Option<string?>("--scheme")
        {
            Description = $"Quantize the matrices on the way: {QuantizationScheme.Known} (int* schemes are QuantRuntime-only). Default: keep F32/F16/BF16 as stored",
        };
        var keepOutput = new Option<string?>("--keep-output") { Description = "Output head (and tied embedding) with --scheme: f16, q8_0 or same (default: q8_0 for quantized schemes, same for f16/f32)" };
        keepOutput.AcceptOnlyFromAmong("f16", "q8_0", "same");
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var command = new Command("convert", """
            Convert a Hugging Face checkpoint (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) to GGUF:
            architecture llama or qwen2, the tokenizer (tokenizer.json) as tokenizer.ggml.* metadata, the chat
            template, Q/K rows permuted for llama's adjacent-pair RoPE, norms and biases in F32.
            Examples:
              quant convert -m ./TinyLlama-1.1B-Chat-v1.0 -o tinyllama-f16.gguf
              quant convert -m ./Qwen2.5-0.5B-Instruct -o qwen2.5-0.5b-q8_0.gguf --scheme q8_0 --json
            """)
        {
            model, output, scheme, keepOutput, json, threads,
        };
        command.SetAction((parse, cancellation) =>
        {
            string input = parse.GetRequiredValue(model);
            try
            {
                string target = parse.GetRequiredValue(output);
                CheckOutput(input, target);
                QuantizationOptions? options = null;
                if (parse.GetValue(scheme) is { } name)
                {
                    var parsed = QuantizationScheme.Parse(name);
                    bool floatScheme = parsed.Type is TensorType.F32 or TensorType.F16;
                    options = new QuantizationOptions(parsed, QuantizationMethod.RoundToNearest, (parse.GetValue(keepOutput) ?? (floatScheme ? "same" : "q8_0")) switch
                    {
                        "f16" => OutputHeadPrecision.F16,
                        "same" => OutputHeadPrecision.Same,
                        _ => OutputHeadPrecision.Q8_0,
                    });
                }
                else if (parse.GetValue(keepOutput) is not null)
                {
                    throw new UsageException("--keep-output only applies with --scheme");
                }
                return Task.FromResult(Run(input, target, options, parse.GetValue(threads), parse.GetValue(json), cancellation));
            }
            catch (Exception e)
            {
                return Task.FromResult(ErrorReporter.Report(e, input));
            }
        });
        return command;
    }

    /// <summary>Refuses an output that is the input folder or inside it (a conversion never writes into its source).</summary>
    private static void CheckOutput(string input, string target)
    {
        if (!Directory.Exists(input))
        {
            throw File.Exists(input)
                ? new UsageException($"'{input}' is a file; quant convert reads a Hugging Face checkpoint folder (use quant quantize for GGUF files)")
                : new DirectoryNotFoundException($"checkpoint folder '{input}' does not exist");
        }
        string folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(input));
        string full = Path.GetFullPath(target);
        if (string.Equals(full, folder, StringComparison.Ordinal) || full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new UsageException("--output is inside the input checkpoint folder; refusing to write into the source");
        }
        if (Directory.Exists(full))
        {
            throw new UsageException($"--output '{target}' is a folder; give a .gguf file path");
        }
    }

    private static int Run(string input, string target, QuantizationOptions? options, int threads, bool json, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        using var checkpoint = HuggingFaceCheckpoint.Open(input);
        // Build the tokenizer once so a tokenizer.json llama.cpp would refuse fails here, before any writing.
        var tokenizer = checkpoint.CreateTokenizer();
        int tensorCount = checkpoint.Weights.Named().Count();
        string title = options is null ? "converting" : $"converting to {options.Scheme.Name}";
        var conversion = ProgressDisplay.Run(title, tensorCount, json, progress =>
            HuggingFaceConverter.Convert(checkpoint, options, progress, threads, cancellation));
        cancellation.ThrowIfCancellationRequested();
        conversion.Writer.Save(target);
        long outputSize = new FileInfo(target).Length;
        double seconds = clock.Elapsed.TotalSeconds;
        var c = conversion.Config;
        string scheme = options?.Scheme.Name ?? "as stored";
        if (json)
        {
            JsonOutput.Print(new JsonObject
            {
                ["input"] = input,
                ["output"] = target,
                ["source_architecture"] = checkpoint.ModelConfig.ArchitectureClass,
                ["architecture"] = c.Architecture,
                ["query_key_permuted"] = conversion.PermutedQueryKey,
                ["tokenizer"] = tokenizer?.Model,
                ["tokenizer_pre"] = checkpoint.Metadata.GetStringOrNull("tokenizer.ggml.pre"),
                ["vocabulary"] = tokenizer?.VocabularySize,
                ["chat_template"] = checkpoint.ChatTemplate is not null,
                ["scheme"] = options?.Scheme.Name,
                ["input_bytes"] = checkpoint.TotalBytes,
                ["output_bytes"] = outputSize,
                ["bits_per_weight"] = Math.Round(conversion.BitsPerWeight, 4),
                ["seconds"] = Math.Round(seconds, 3),
                ["tensors"] = TensorRecordOutput.Json(conversion.Tensors),
            });
        }
        else
        {
            if (tokenizer is null)
            {
                Console.Error.WriteLine("note: no tokenizer.json: the GGUF gets a placeholder vocabulary");
            }
            TensorRecordOutput.PrintNotes(conversion.Tensors);
            string tokenizerText = tokenizer is null ? "no tokenizer" : $"tokenizer {tokenizer.Model}"
                + (checkpoint.Metadata.GetStringOrNull("tokenizer.ggml.pre") is { } pre ? $"/{pre}" : "");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{input} ({checkpoint.ModelConfig.ArchitectureClass}, {checkpoint.TotalBytes:N0} bytes) -> {target} ({c.Architecture}, {tokenizerText}, {outputSize:N0} bytes), {scheme}, {conversion.BitsPerWeight:F2} bits/weight, {seconds:F1} s"));
        }
        return ExitCodes.Success;
    }
}
