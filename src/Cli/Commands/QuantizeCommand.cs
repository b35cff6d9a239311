using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Quantization;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant quantize</c>: write a quantized copy of a model.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "Output GGUF file (written atomically; never the input)", Required = true };
        var scheme = new Option<string>("--scheme") { Description = $"Target: {QuantizationScheme.Known}", Required = true };
        var method = new Option<string>("--method") { Description = "rtn (round to nearest) or search (error-minimising scales)", DefaultValueFactory = _ => "rtn" };
        method.AcceptOnlyFromAmong("rtn", "search");
        var calibration = new Option<string?>("--calibration") { Description = "Text or token ids run through the model to weigh each column's error (with --method search)" };
        var keepOutput = new Option<string>("--keep-output") { Description = "Output head (and tied embedding): f16, q8_0 or same", DefaultValueFactory = _ => "q8_0" };
        keepOutput.AcceptOnlyFromAmong("f16", "q8_0", "same");
        var window = new Option<int>("--ctx") { Description = "Calibration window in tokens", DefaultValueFactory = _ => 256 };
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var command = new Command("quantize", """
            Quantize a model (GGUF or llama2.c) to a new GGUF file.
            Examples:
              quant quantize -m model.gguf -o model-q4_0.gguf --scheme q4_0
              quant quantize -m model.gguf -o model-int4.gguf --scheme int4-g128 --method search --calibration text.txt
            """)
        {
            model, output, scheme, method, calibration, keepOutput, window, json, threads,
        };
        command.SetAction((parse, cancellation) =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                var options = new QuantizationOptions(
                    QuantizationScheme.Parse(parse.GetRequiredValue(scheme)),
                    parse.GetValue(method) == "search" ? QuantizationMethod.Search : QuantizationMethod.RoundToNearest,
                    parse.GetValue(keepOutput) switch { "f16" => OutputHeadPrecision.F16, "same" => OutputHeadPrecision.Same, _ => OutputHeadPrecision.Q8_0 });
                string target = parse.GetRequiredValue(output);
                if (string.Equals(Path.GetFullPath(target), Path.GetFullPath(path), StringComparison.Ordinal))
                {
                    throw new UsageException("--output is the input model; refusing to overwrite it");
                }
                string? calibrationPath = parse.GetValue(calibration);
                if (calibrationPath is not null && options.Method != QuantizationMethod.Search)
                {
                    throw new UsageException("--calibration only applies with --method search");
                }
                return Task.FromResult(Run(path, target, options, calibrationPath, parse.GetValue(window), parse.GetValue(threads), parse.GetValue(json), cancellation));
            }
            catch (Exception e)
            {
                return Task.FromResult(ErrorReporter.Report(e, path));
            }
        });
        return command;
    }

    private static int Run(string path, string target, QuantizationOptions options, string? calibrationPath, int window, int threads, bool json, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        using var file = ModelFile.Open(path);
        var metadata = file.Gguf?.Metadata;
        if (calibrationPath is not null)
        {
            var tokenizer = metadata is null ? null : ModelTokenizer.FromGguf(metadata);
            var ids = CalibrationData.Load(calibrationPath, tokenizer);
            var importance = ImportanceCollector.Collect(file.Config, file.Weights, ids, window, ComputeDevice.Cpu, threads, cancellation);
            options = options with { Importance = importance };
        }
        int tensorCount = file.Weights.Named().Count();
        var result = ProgressDisplay.Run($"quantizing to {options.Scheme.Name}", tensorCount, json, progress =>
            ModelQuantizer.Quantize(file.Weights, options, new Progress<TensorQuantizationRecord>(r => progress.Report(r.Name)), threads, cancellation));
        string name = metadata?.GetStringOrNull("general.name") ?? Path.GetFileNameWithoutExtension(path);
        QuantizedModelWriter.Build(file.Config, result, options, metadata, name).Save(target);
        long outputSize = new FileInfo(target).Length;
        double seconds = clock.Elapsed.TotalSeconds;
        if (json)
        {
            JsonOutput.Print(new JsonObject
            {
                ["input"] = path,
                ["output"] = target,
                ["scheme"] = options.Scheme.Name,
                ["method"] = options.Method == QuantizationMethod.Search ? "search" : "rtn",
                ["calibration_tokens"] = options.Importance?.Tokens,
                ["input_bytes"] = file.FileSize,
                ["output_bytes"] = outputSize,
                ["bits_per_weight"] = Math.Round(result.BitsPerWeight, 4),
                ["seconds"] = Math.Round(seconds, 3),
                ["tensors"] = TensorRecordOutput.Json(result.Tensors),
            });
        }
        else
        {
            TensorRecordOutput.PrintNotes(result.Tensors);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path} ({file.FileSize:N0} bytes) -> {target} ({outputSize:N0} bytes), {options.Scheme.Name}, {result.BitsPerWeight:F2} bits/weight, {seconds:F1} s"));
        }
        return ExitCodes.Success;
    }
}
