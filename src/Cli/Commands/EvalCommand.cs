using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Evaluation;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Inference;
using QuantRuntime.IO;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Quantization;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Cli.Commands;

/// <summary>
/// <c>quant eval</c>: the accuracy each quantization scheme loses against the base model, as a table,
/// JSON, CSV and a plot. The numbers come from <see cref="QuantizationEvaluator"/>; this only parses,
/// prints and plots (docs/EVALUATION.md).
/// </summary>
internal static class EvalCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var text = new Option<string?>("--text") { Description = "Evaluation text (UTF-8), tokenized with the model's tokenizer (BOS added as the model says)" };
        var ids = new Option<string?>("--ids") { Description = "Evaluation token ids (integers separated by whitespace or commas), used as given" };
        var schemes = new Option<string>("--schemes") { Description = $"Comma-separated schemes: {QuantizationScheme.Known}", Required = true };
        var method = new Option<string>("--method") { Description = "rtn (round to nearest) or search (error-minimising scales)", DefaultValueFactory = _ => "rtn" };
        method.AcceptOnlyFromAmong("rtn", "search");
        var calibration = new Option<string?>("--calibration") { Description = "Text or token ids to weigh each column's error (with --method search)" };
        var keepOutput = new Option<string>("--keep-output") { Description = "Output head (and tied embedding): f16, q8_0 or same", DefaultValueFactory = _ => "q8_0" };
        keepOutput.AcceptOnlyFromAmong("f16", "q8_0", "same");
        var context = new Option<int>("--ctx") { Description = "Tokens per window (each window starts from an empty KV cache)", DefaultValueFactory = _ => 256 };
        var chunks = new Option<int?>("--chunks") { Description = "Use only the first N windows" };
        var score = new Option<string>("--score") { Description = "Predictions scored per window: second-half (as llama-perplexity) or all", DefaultValueFactory = _ => "second-half" };
        score.AcceptOnlyFromAmong("second-half", "all");
        var bos = new Option<string>("--bos") { Description = "Token put first in every window: auto (the model's BOS if it adds one), none, or an id", DefaultValueFactory = _ => "auto" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "Also print each tensor's SQNR (dB) per scheme" };
        var tasks = new Option<string[]>("--task") { Description = "Task accuracy per scheme (repeatable)", AllowMultipleArgumentsPerToken = false };
        var json = CommonOptions.Json();
        var csv = new Option<string?>("--csv") { Description = "Also write one row per model to this CSV file (atomically)" };
        var plot = new Option<string?>("--plot") { Description = "Also draw bits per weight against mean KLD and against same-top-token % (PNG, two panels)" };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var command = new Command("eval", """
            Measure what each quantization scheme costs: runs the model in its own precision once over the
            evaluation tokens, then quantizes it in memory to each scheme and compares next-token
            distributions: PPL, PPL ratio, KL divergence, same top token, Δp (docs/EVALUATION.md).
            Examples:
              quant eval -m model.gguf --text wiki.txt --schemes q8_0,q4_1,q4_0,int4-g128,int4-g128-asym
              quant eval -m model.gguf --ids ids.txt --schemes q8_0,q4_0 --ctx 512 --chunks 20 --json --plot eval.png
            """)
        {
            model, text, ids, schemes, method, calibration, keepOutput, context, chunks, score, bos, perTensor, tasks, json, csv, plot, threads, device,
        };
        command.SetAction((parse, cancellation) =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                var request = new Request(
                    path,
                    parse.GetValue(text),
                    parse.GetValue(ids),
                    ParseSchemes(parse.GetRequiredValue(schemes)),
                    parse.GetValue(method) == "search" ? QuantizationMethod.Search : QuantizationMethod.RoundToNearest,
                    parse.GetValue(calibration),
                    parse.GetValue(keepOutput) switch { "f16" => OutputHeadPrecision.F16, "same" => OutputHeadPrecision.Same, _ => OutputHeadPrecision.Q8_0 },
                    parse.GetValue(context),
                    parse.GetValue(chunks),
                    parse.GetValue(score) == "all" ? ScoredPositions.All : ScoredPositions.SecondHalf,
                    parse.GetRequiredValue(bos),
                    parse.GetValue(perTensor),
                    [.. (parse.GetValue(tasks) ?? []).Select(EvaluationTasks.Create)],
                    parse.GetValue(json),
                    parse.GetValue(csv),
                    parse.GetValue(plot),
                    parse.GetValue(threads),
                    parse.GetValue(device));
                // Ctrl-C stops between windows and prints what has finished; a second Ctrl-C ends the process at once.
                using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, signal =>
                {
                    if (!interrupted.IsCancellationRequested)
                    {
                        signal.Cancel = true;
                        interrupted.Cancel();
                    }
                });
                return Task.FromResult(Run(request, interrupted.Token));
            }
            catch (Exception e)
            {
                return Task.FromResult(ErrorReporter.Report(e, path));
            }
        });
        return command;
    }

    private sealed record Request(
        string Model, string? TextPath, string? IdsPath, IReadOnlyList<QuantizationScheme> Schemes, QuantizationMethod Method, string? CalibrationPath,
        OutputHeadPrecision OutputHead, int Context, int? Chunks, ScoredPositions Scoring, string Bos, bool PerTensor, IReadOnlyList<IEvaluationTask> Tasks,
        bool Json, string? CsvPath, string? PlotPath, int Threads, ComputeDevice Device);

    private static IReadOnlyList<QuantizationScheme> ParseSchemes(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new UsageException("--schemes is empty");
        }
        var schemes = names.Select(QuantizationScheme.Parse).ToArray();
        var repeated = schemes.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new UsageException($"--schemes names '{repeated.Key}' twice");
        }
        return schemes;
    }

    private static int Run(Request request, CancellationToken cancellation)
    {
        if ((request.TextPath is null) == (request.IdsPath is null))
        {
            throw new UsageException("give the evaluation tokens with exactly one of --text FILE or --ids FILE");
        }
        if (request.CalibrationPath is not null && request.Method != QuantizationMethod.Search)
        {
            throw new UsageException("--calibration only applies with --method search");
        }
        if (request.Chunks is < 1)
        {
            throw new UsageException($"--chunks must be at least 1, not {request.Chunks}");
        }
        foreach (string? output in new[] { request.CsvPath, request.PlotPath })
        {
            if (output is not null && string.Equals(Path.GetFullPath(output), Path.GetFullPath(request.Model), StringComparison.Ordinal))
            {
                throw new UsageException($"'{output}' is the model file; refusing to overwrite it");
            }
        }
        if (request.PlotPath is not null && !request.PlotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("--plot writes a PNG: give a file name ending in .png");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var file = ModelFile.Open(request.Model);
        var tokenizer = ReadTokenizer(file);
        var tokens = request.TextPath is not null ? ReadText(request.TextPath, tokenizer) : ReadIds(request.IdsPath!);
        var calibration = request.CalibrationPath is null ? null : CalibrationData.Load(request.CalibrationPath, tokenizer);
        var options = new EvaluationOptions(
            ContextLength: request.Context,
            MaxWindows: request.Chunks,
            Scoring: request.Scoring,
            Bos: ResolveBos(request.Bos, tokenizer),
            Method: request.Method,
            OutputHead: request.OutputHead,
            CalibrationTokens: calibration,
            CalibrationWindow: request.Context,
            PerTensor: request.PerTensor,
            Device: request.Device,
            Threads: request.Threads,
            Tasks: request.Tasks);
        using var evaluator = new QuantizationEvaluator(file.Config, file.Weights, tokens, options, tokenizer);
        bool bar = ProgressDisplay.Enabled(request.Json);
        if (!request.Json && evaluator.StoredLogitFile is not null)
        {
            Console.Error.WriteLine(string.Create(Invariant, $"note: the base model's {evaluator.StoredLogitBytes / 1048576.0:F0} MiB of logits are kept in {evaluator.StoredLogitFile} (deleted at exit)"));
        }
        var report = ProgressDisplay.Run($"eval {Path.GetFileName(request.Model)}", evaluator.ProgressSteps(request.Schemes), request.Json, progress =>
            evaluator.Run(request.Schemes, new ProgressAdapter(progress, logFinished: !bar && !request.Json, request.Schemes.Count), cancellation));
        var summary = new Summary(request, file, tokens.Count, report, evaluator.BackendName, clock.Elapsed.TotalSeconds);
        if (request.Json)
        {
            JsonOutput.Print(summary.ToJson());
        }
        else
        {
            Console.Out.Write(summary.ToText());
        }
        if (!report.Complete)
        {
            Console.Error.WriteLine($"interrupted: {report.Schemes.Count} of {request.Schemes.Count} schemes finished{(request.CsvPath ?? request.PlotPath) switch { null => "", _ => "; --csv and --plot not written" }}");
            return ExitCodes.Cancelled;
        }
        if (request.CsvPath is not null)
        {
            string content = summary.ToCsv();
            AtomicFile.Write(request.CsvPath, stream => stream.Write(new UTF8Encoding(false).GetBytes(content)));
        }
        if (request.PlotPath is not null)
        {
            EvalPlot.Save(request.PlotPath, report, Path.GetFileName(request.Model));
        }
        return ExitCodes.Success;
    }

    private static ModelTokenizer? ReadTokenizer(ModelFile file)
    {
        var metadata = file.Gguf?.Metadata;
        if (metadata is null || metadata.GetBoolOrNull(PlaceholderVocabulary.MarkerKey) == true)
        {
            return null;
        }
        return ModelTokenizer.FromGguf(metadata);
    }

    private static int? ResolveBos(string value, ModelTokenizer? tokenizer)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "auto":
                return tokenizer is { AddBos: true, BosId: { } id } ? id : null;
            case "none":
                return null;
        }
        if (int.TryParse(value, NumberStyles.None, Invariant, out int bos))
        {
            return bos;
        }
        throw new UsageException($"--bos: '{value}' is not auto, none or a token id");
    }

    private static IReadOnlyList<int> ReadText(string path, ModelTokenizer? tokenizer)
    {
        if (tokenizer is null)
        {
            throw new UsageException("the model carries no tokenizer: give token ids with --ids");
        }
        string content;
        try
        {
            content = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException)
        {
            throw new UsageException($"--text file '{path}' is not valid UTF-8");
        }
        // As llama-perplexity: BOS as the model says, special-token text left as plain text.
        return tokenizer.Encode(content, addSpecialTokens: true, parseSpecialTokens: false);
    }

    private static IReadOnlyList<int> ReadIds(string path)
    {
        var parts = File.ReadAllText(path).Split([' ', '\t', '\r', '\n', ','], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, Invariant, out ids[i]))
            {
                throw new UsageException($"--ids file '{path}': '{parts[i]}' is not a token id");
            }
        }
        return ids;
    }

    /// <summary>Turns evaluator progress into progress-bar steps, and (without a bar) a line per finished scheme.</summary>
    private sealed class ProgressAdapter(IProgress<string> bar, bool logFinished, int schemes) : IProgress<EvaluationProgress>
    {
        private int _finished;

        public void Report(EvaluationProgress value)
        {
            bar.Report(value.Stage switch
            {
                EvaluationStage.Calibrating => "calibrating",
                EvaluationStage.Quantizing => $"quantizing {value.Model}",
                EvaluationStage.Task => $"{value.Model}: task",
                _ => $"{value.Model} window {value.Window}/{value.Windows}",
            });
            if (logFinished && value.Window == value.Windows && value.Stage is EvaluationStage.Baseline or EvaluationStage.Evaluating)
            {
                string done = value.Stage == EvaluationStage.Baseline ? "base model done" : $"{value.Model} done ({++_finished}/{schemes})";
                Console.Error.WriteLine(done);
            }
        }
    }

    /// <summary>The report as text, JSON and CSV.</summary>
    private sealed class Summary(Request request, ModelFile file, int streamTokens, EvaluationReport report, string backend, double seconds)
    {
        private EvaluationWindows Windows => report.Windows;

        private string BaseType => string.Join("/", file.Weights.Named().Where(n => n.Tensor.Rows > 1).Select(n => TensorTypeInfo.Of(n.Tensor.Type).Name).Distinct());

        public string ToText()
        {
            var b = report.Base;
            var text = new StringBuilder();
            text.AppendLine(string.Create(Invariant,
                $"{request.Model}: {streamTokens} tokens, {Windows.Windows.Count} window{(Windows.Windows.Count == 1 ? "" : "s")} of {Windows.ContextLength} (first token {(Windows.Bos is { } id ? $"BOS {id}" : "as given")}), scoring the {(Windows.Scoring == ScoredPositions.All ? "whole window" : "second half")}: {Windows.ScoredTokens} tokens"));
            text.AppendLine(string.Create(Invariant,
                $"quantized in memory: method {MethodName(request.Method)}, output head {HeadName(request.OutputHead)}{(request.CalibrationPath is null ? "" : $", calibration {request.CalibrationPath}")}; backend {backend}; KLD = KL(base ‖ scheme) in nats; errors are ± one standard error"));
            text.AppendLine();
            string[] header = ["model", "bits/w", "size MiB", "PPL", "PPL ratio", "ΔPPL", "KLD mean", "KLD median", "KLD p99", "KLD max", "same top %", "mean Δp %", "RMS Δp %"];
            var rows = new List<string[]>
            {
                new[] { $"base ({BaseType})", F(b.Size.BitsPerWeight, 2), F(b.Size.Bytes / 1048576.0, 2), Pm(b.Perplexity.Perplexity, b.Perplexity.PerplexityError, 4), "1", "0", "0", "0", "0", "0", "100", "0", "0" },
            };
            foreach (var s in report.Schemes)
            {
                rows.Add([
                    s.Name,
                    F(s.Size.BitsPerWeight, 2),
                    F(s.Size.Bytes / 1048576.0, 2),
                    Pm(s.Perplexity.Perplexity, s.Perplexity.PerplexityError, 4),
                    Pm(s.VersusBase.Ratio, s.VersusBase.RatioError, 5),
                    Pm(s.VersusBase.Difference, s.VersusBase.DifferenceError, 4),
                    Pm(s.KlDivergence.Mean, s.KlDivergence.MeanError, 6),
                    F(s.KlDivergence.Median, 6),
                    F(s.KlDivergence.P99, 5),
                    F(s.KlDivergence.Maximum, 5),
                    Pm(100 * s.SameTop.Fraction, 100 * s.SameTop.FractionError, 2),
                    Pm(100 * s.ProbabilityDelta.Mean, 100 * s.ProbabilityDelta.MeanError, 3),
                    Pm(100 * s.ProbabilityDelta.Rms, 100 * s.ProbabilityDelta.RmsError, 3),
                ]);
            }
            AppendTable(text, header, rows, leftColumns: 1);
            if (report.Schemes.Count > 0 && report.Schemes[0].TensorSqnr is not null)
            {
                text.AppendLine();
                text.AppendLine("per-tensor SQNR, dB (10·log10(Σw² / Σ(w − ŵ)²); the type each tensor took; 'exact' where unchanged):");
                var names = report.Schemes[0].TensorSqnr!;
                var tensorRows = new List<string[]>();
                for (int t = 0; t < names.Count; t++)
                {
                    var row = new List<string> { names[t].Name, TensorTypeInfo.Of(names[t].From).Name };
                    foreach (var s in report.Schemes)
                    {
                        var entry = s.TensorSqnr![t];
                        string value = double.IsPositiveInfinity(entry.SqnrDb) ? "exact" : F(entry.SqnrDb, 1);
                        row.Add($"{value} {TensorTypeInfo.Of(entry.To).Name}");
                    }
                    tensorRows.Add([.. row]);
                }
                AppendTable(text, ["tensor", "base", .. report.Schemes.Select(s => s.Name)], tensorRows, leftColumns: 2);
            }
            if (b.Tasks.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("task accuracy, % (± one standard error):");
                var variants = b.Tasks.SelectMany(t => t.Variants.Select(v => (t.Task, v.Variant))).ToArray();
                var taskRows = new List<string[]>();
                foreach (var (name, tasks) in new[] { ("base", b.Tasks) }.Concat(report.Schemes.Select(s => (s.Name, s.Tasks))))
                {
                    var row = new List<string> { name };
                    foreach (var (task, variant) in variants)
                    {
                        var accuracy = tasks.FirstOrDefault(t => t.Task == task)?.Variants.FirstOrDefault(v => v.Variant == variant);
                        row.Add(accuracy is null ? "-" : Pm(100 * accuracy.Accuracy, 100 * accuracy.AccuracyError, 1));
                    }
                    taskRows.Add([.. row]);
                }
                AppendTable(text, ["model", .. variants.Select(v => $"{v.Task} {v.Variant}")], taskRows, leftColumns: 1);
            }
            if (!report.Complete)
            {
                text.AppendLine();
                text.AppendLine($"(interrupted: {report.Schemes.Count} of {request.Schemes.Count} schemes finished)");
            }
            return text.ToString();
        }

        public JsonObject ToJson()
        {
            var schemes = new JsonArray();
            foreach (var s in report.Schemes)
            {
                var entry = SchemeFields(s);
                if (s.TensorSqnr is not null)
                {
                    var tensors = new JsonArray();
                    foreach (var t in s.TensorSqnr)
                    {
                        tensors.Add(new JsonObject
                        {
                            ["name"] = t.Name,
                            ["from"] = TensorTypeInfo.Of(t.From).Name,
                            ["to"] = TensorTypeInfo.Of(t.To).Name,
                            ["elements"] = t.Elements,
                            ["sqnr_db"] = Number(t.SqnrDb),
                        });
                    }
                    entry["tensors"] = tensors;
                }
                entry["tasks"] = Tasks(s.Tasks);
                schemes.Add(entry);
            }
            var b = report.Base;
            return new JsonObject
            {
                ["model"] = request.Model,
                ["complete"] = report.Complete,
                ["evaluation"] = new JsonObject
                {
                    ["source"] = request.TextPath is not null ? "text" : "ids",
                    ["file"] = request.TextPath ?? request.IdsPath,
                    ["stream_tokens"] = streamTokens,
                    ["ctx"] = Windows.ContextLength,
                    ["windows"] = Windows.Windows.Count,
                    ["scoring"] = Windows.Scoring == ScoredPositions.All ? "all" : "second-half",
                    ["first_scored_position"] = Windows.Windows[0].FirstScored,
                    ["scored_tokens"] = Windows.ScoredTokens,
                    ["bos"] = Windows.Bos,
                    ["method"] = MethodName(request.Method),
                    ["keep_output"] = HeadName(request.OutputHead),
                    ["calibration"] = request.CalibrationPath,
                    ["backend"] = backend,
                    ["kl_direction"] = "KL(base || scheme), nats",
                    ["errors"] = "one standard error",
                },
                ["base"] = new JsonObject
                {
                    ["type"] = BaseType,
                    ["bytes"] = b.Size.Bytes,
                    ["elements"] = b.Size.Elements,
                    ["bits_per_weight"] = b.Size.BitsPerWeight,
                    ["ppl"] = Number(b.Perplexity.Perplexity),
                    ["ppl_error"] = Number(b.Perplexity.PerplexityError),
                    ["mean_nll"] = Number(b.Perplexity.MeanNll),
                    ["mean_nll_error"] = Number(b.Perplexity.MeanNllError),
                    ["seconds"] = Math.Round(b.Elapsed.TotalSeconds, 3),
                    ["tasks"] = Tasks(b.Tasks),
                },
                ["schemes"] = schemes,
                ["seconds"] = Math.Round(seconds, 3),
            };
        }

        public string ToCsv()
        {
            var columns = SchemeFields(report.Schemes.FirstOrDefault() ?? throw new InvalidOperationException("no scheme finished")).Select(p => p.Key).ToArray();
            var csv = new StringBuilder();
            csv.AppendLine(string.Join(',', columns));
            var b = report.Base;
            var baseRow = new Dictionary<string, string>
            {
                ["scheme"] = "base",
                ["method"] = "",
                ["bytes"] = b.Size.Bytes.ToString(Invariant),
                ["elements"] = b.Size.Elements.ToString(Invariant),
                ["bits_per_weight"] = R(b.Size.BitsPerWeight),
                ["ppl"] = R(b.Perplexity.Perplexity),
                ["ppl_error"] = R(b.Perplexity.PerplexityError),
                ["mean_nll"] = R(b.Perplexity.MeanNll),
                ["mean_nll_error"] = R(b.Perplexity.MeanNllError),
                ["scored_tokens"] = b.Tokens.Count.ToString(Invariant),
            };
            csv.AppendLine(string.Join(',', columns.Select(c => baseRow.GetValueOrDefault(c, ""))));
            foreach (var s in report.Schemes)
            {
                var fields = SchemeFields(s);
                csv.AppendLine(string.Join(',', columns.Select(c => fields[c] switch
                {
                    null => "",
                    JsonValue v when v.TryGetValue(out double d) => R(d),
                    JsonValue v => Csv(v.ToString()),
                    var other => Csv(other.ToJsonString()),
                })));
            }
            return csv.ToString();
        }

        private static JsonObject SchemeFields(SchemeEvaluation s) => new()
        {
            ["scheme"] = s.Name,
            ["method"] = s.Method is { } m ? MethodName(m) : null,
            ["bytes"] = s.Size.Bytes,
            ["elements"] = s.Size.Elements,
            ["bits_per_weight"] = s.Size.BitsPerWeight,
            ["ppl"] = Number(s.Perplexity.Perplexity),
            ["ppl_error"] = Number(s.Perplexity.PerplexityError),
            ["mean_nll"] = Number(s.Perplexity.MeanNll),
            ["mean_nll_error"] = Number(s.Perplexity.MeanNllError),
            ["ppl_ratio"] = Number(s.VersusBase.Ratio),
            ["ppl_ratio_error"] = Number(s.VersusBase.RatioError),
            ["delta_ppl"] = Number(s.VersusBase.Difference),
            ["delta_ppl_error"] = Number(s.VersusBase.DifferenceError),
            ["nll_correlation"] = Number(s.VersusBase.NllCorrelation),
            ["kld_mean"] = Number(s.KlDivergence.Mean),
            ["kld_mean_error"] = Number(s.KlDivergence.MeanError),
            ["kld_median"] = Number(s.KlDivergence.Median),
            ["kld_p90"] = Number(s.KlDivergence.P90),
            ["kld_p95"] = Number(s.KlDivergence.P95),
            ["kld_p99"] = Number(s.KlDivergence.P99),
            ["kld_p999"] = Number(s.KlDivergence.P999),
            ["kld_min"] = Number(s.KlDivergence.Minimum),
            ["kld_max"] = Number(s.KlDivergence.Maximum),
            ["same_top_percent"] = Number(100 * s.SameTop.Fraction),
            ["same_top_percent_error"] = Number(100 * s.SameTop.FractionError),
            ["delta_p_mean"] = Number(s.ProbabilityDelta.Mean),
            ["delta_p_mean_error"] = Number(s.ProbabilityDelta.MeanError),
            ["delta_p_rms"] = Number(s.ProbabilityDelta.Rms),
            ["delta_p_rms_error"] = Number(s.ProbabilityDelta.RmsError),
            ["delta_p_min"] = Number(s.ProbabilityDelta.Minimum),
            ["delta_p_p01"] = Number(s.ProbabilityDelta.P01),
            ["delta_p_median"] = Number(s.ProbabilityDelta.Median),
            ["delta_p_p99"] = Number(s.ProbabilityDelta.P99),
            ["delta_p_max"] = Number(s.ProbabilityDelta.Maximum),
            ["scored_tokens"] = s.Tokens.Count,
            ["seconds"] = Math.Round(s.Elapsed.TotalSeconds, 3),
        };

        private static JsonArray Tasks(IReadOnlyList<EvaluationTaskResult> tasks)
        {
            var array = new JsonArray();
            foreach (var task in tasks)
            {
                foreach (var v in task.Variants)
                {
                    array.Add(new JsonObject
                    {
                        ["task"] = task.Task,
                        ["variant"] = v.Variant,
                        ["correct"] = v.Correct,
                        ["total"] = v.Total,
                        ["accuracy"] = v.Accuracy,
                        ["accuracy_error"] = v.AccuracyError,
                    });
                }
            }
            return array;
        }
    }

    /// <summary>A number JSON can hold: NaN and ±∞ (an unchanged tensor's SQNR, a correlation of constants) become null.</summary>
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private static string MethodName(QuantizationMethod method) => method == QuantizationMethod.Search ? "search" : "rtn";

    private static string HeadName(OutputHeadPrecision head) => head switch { OutputHeadPrecision.F16 => "f16", OutputHeadPrecision.Same => "same", _ => "q8_0" };

    private static string F(double value, int digits) => value.ToString("F" + digits.ToString(Invariant), Invariant);

    private static string R(double value) => value.ToString("R", Invariant);

    private static string Pm(double value, double error, int digits) => $"{F(value, digits)} ± {F(error, digits)}";

    private static string Csv(string value) => value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static void AppendTable(StringBuilder text, IReadOnlyList<string> header, IReadOnlyList<string[]> rows, int leftColumns)
    {
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        void Line(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder();
            for (int c = 0; c < cells.Count; c++)
            {
                if (c > 0)
                {
                    line.Append("  ");
                }
                line.Append(c < leftColumns ? cells[c].PadRight(widths[c]) : cells[c].PadLeft(widths[c]));
            }
            text.AppendLine(line.ToString().TrimEnd());
        }
        Line(header);
        Line([.. widths.Select(w => new string('-', w))]);
        foreach (var row in rows)
        {
            Line(row);
        }
    }
}

/// <summary>
/// The <c>--plot</c> picture: one PNG with two panels side by side, bits per weight (whole model) against
/// mean KLD (log scale) and against same-top-token %, one labelled point per scheme with ± one standard error.
/// </summary>
internal static class EvalPlot
{
    public const int Width = 1400;
    public const int Height = 600;

    // Each panel is Width/2 x Height with fixed margins, so data coordinates map to known pixels (for placing labels).
    private const float PadLeft = 80, PadRight = 20, PadTop = 40, PadBottom = 56;
    private const double AreaWidth = Width / 2.0 - PadLeft - PadRight;
    private const double AreaHeight = Height - PadTop - PadBottom;

    public static void Save(string path, EvaluationReport report, string modelName)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"folder '{folder}' does not exist");
        }
        var schemes = report.Schemes;
        double[] bits = [.. schemes.Select(s => s.Size.BitsPerWeight)];
        string[] names = [.. schemes.Select(s => s.Name)];
        var multiplot = new ScottPlot.Multiplot();
        ScottPlot.IMultiplotExtensions.AddPlots(multiplot, 2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        string xLabel = string.Create(CultureInfo.InvariantCulture,
            $"bits per weight, whole model ({modelName}: base {report.Base.Size.BitsPerWeight:F1}; {report.Windows.ScoredTokens} scored tokens)");

        // Mean KLD spans decades between schemes: a log10 axis, the error bars (± one standard error) drawn in log space.
        const double Floor = 1e-12;
        double[] means = [.. schemes.Select(s => Math.Max(s.KlDivergence.Mean, Floor))];
        double[] logs = [.. means.Select(Math.Log10)];
        double[] below = [.. schemes.Select((s, i) => logs[i] - Math.Log10(Math.Max(s.KlDivergence.Mean - s.KlDivergence.MeanError, means[i] / 10)))];
        double[] above = [.. schemes.Select((s, i) => Math.Log10(means[i] + s.KlDivergence.MeanError) - logs[i])];
        var kld = ScottPlot.IMultiplotExtensions.GetPlot(multiplot, 0);
        Panel(kld, bits, logs, below, above, names, "mean KL(base ‖ scheme), nats (lower is better)", "mean KLD (nats, log scale)", xLabel);
        kld.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", CultureInfo.InvariantCulture),
        };

        double[] percent = [.. schemes.Select(s => 100 * s.SameTop.Fraction)];
        double[] error = [.. schemes.Select(s => 100 * s.SameTop.FractionError)];
        var same = ScottPlot.IMultiplotExtensions.GetPlot(multiplot, 1);
        Panel(same, bits, percent, error, error, names, "same top token as the base model, % (higher is better)", "same top token (%)", xLabel);

        byte[] png = ScottPlot.IMultiplotExtensions.Render(multiplot, Width, Height).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicFile.Write(full, stream => stream.Write(png));
    }

    private static void Panel(ScottPlot.Plot plot, double[] xs, double[] ys, double[] below, double[] above, string[] names, string title, string yLabel, string xLabel)
    {
        var zeros = new double[xs.Length];
        plot.Add.Plottable(new ScottPlot.Plottables.ErrorBar(xs, ys, zeros, zeros, below, above) { Color = ScottPlot.Colors.Gray });
        plot.Add.Markers(xs, ys, ScottPlot.MarkerShape.FilledCircle, 8, ScottPlot.Colors.C0);
        plot.Layout.Fixed(new ScottPlot.PixelPadding(PadLeft, PadRight, PadBottom, PadTop));
        plot.Title(title, size: 14);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 14);

        // Limits: every point with its error bar, and room around for the labels.
        double left = xs.Min(), right = xs.Max();
        double xSpan = Math.Max(right - left, 1);
        double bottom = ys.Select((y, i) => y - below[i]).Min(), top = ys.Select((y, i) => y + above[i]).Max();
        double ySpan = Math.Max(top - bottom, 1e-3);
        var limits = new ScottPlot.AxisLimits(left - 0.12 * xSpan, right + 0.3 * xSpan, bottom - 0.08 * ySpan, top + 0.08 * ySpan);
        plot.Axes.SetLimits(limits);
        PlaceLabels(plot, xs, ys, names, limits);
    }

    /// <summary>
    /// Puts each scheme's name to the right of its point, then pushes apart (vertically, in pixels) any two
    /// labels that would overlap, so schemes of the same size and similar accuracy get a readable stack of
    /// names; a label moved off its point gets a thin leader line.
    /// </summary>
    private static void PlaceLabels(ScottPlot.Plot plot, double[] xs, double[] ys, string[] names, ScottPlot.AxisLimits limits)
    {
        const double CharWidth = 7.5, LabelHeight = 17, Gap = 8;
        int n = xs.Length;
        double xScale = AreaWidth / (limits.Right - limits.Left), yScale = AreaHeight / (limits.Top - limits.Bottom);
        var left = new double[n];
        var right = new double[n];
        var wanted = new double[n];
        var placed = new double[n];
        for (int i = 0; i < n; i++)
        {
            left[i] = (xs[i] - limits.Left) * xScale + Gap;
            right[i] = left[i] + names[i].Length * CharWidth;
            wanted[i] = placed[i] = (limits.Top - ys[i]) * yScale;
        }
        // Relaxation: each overlapping pair moves apart by half the overlap; the upper one (then the first) goes up.
        for (int iteration = 0; iteration < 500; iteration++)
        {
            bool moved = false;
            for (int i = 0; i < n; i++)
            {
                for (int j = i + 1; j < n; j++)
                {
                    double dy = placed[j] - placed[i];
                    if (left[i] >= right[j] || left[j] >= right[i] || Math.Abs(dy) >= LabelHeight)
                    {
                        continue;
                    }
                    bool iAbove = dy > 0 || (dy == 0 && wanted[i] <= wanted[j]);
                    double push = (LabelHeight - Math.Abs(dy)) / 2 + 0.01;
                    placed[i] += iAbove ? -push : push;
                    placed[j] += iAbove ? push : -push;
                    moved = true;
                }
            }
            for (int i = 0; i < n; i++)
            {
                placed[i] = Math.Clamp(placed[i], LabelHeight / 2, AreaHeight - LabelHeight / 2);
            }
            if (!moved)
            {
                break;
            }
        }
        for (int i = 0; i < n; i++)
        {
            double anchorX = limits.Left + left[i] / xScale;
            double anchorY = limits.Top - placed[i] / yScale;
            var label = plot.Add.Text(names[i], anchorX, anchorY);
            label.Alignment = ScottPlot.Alignment.MiddleLeft;
            label.LabelFontSize = 13;
            label.LabelFontColor = ScottPlot.Colors.Black;
            if (Math.Abs(placed[i] - wanted[i]) > 3)
            {
                var leader = plot.Add.Line(xs[i], ys[i], anchorX - 1 / xScale, anchorY);
                leader.LineColor = ScottPlot.Colors.Gray;
                leader.LineWidth = 1;
            }
        }
    }
}
