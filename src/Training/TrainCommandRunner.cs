using System.Globalization;
using QuantRuntime.Models;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Evaluation;

namespace QuantRuntime.Training;

/// <summary>
/// The training and evaluation commands, for the <c>quant</c> CLI to wire (<c>quant train</c>,
/// <c>quant eval --task arithmetic</c>) and for the small <c>quant-train</c> tool.
/// </summary>
public static class TrainCommandRunner
{
    /// <summary>The options <see cref="ParseTrain"/> understands, for help text.</summary>
    public const string TrainUsage =
        "train [--out FILE] [--name NAME] [--seed N] [--threads N] [--steps N] [--batch N] [--microbatches N] " +
        "[--lr X] [--final-lr X] [--warmup N] [--weight-decay X] [--clip X] [--direct-fraction X] " +
        "[--dim N] [--ffn N] [--layers N] [--heads N] [--kv-heads N] [--context N] " +
        "[--log-every N] [--checkpoint-every N] [--eval N] [--eval-threads N]";

    /// <summary>The options <see cref="ParseEval"/> understands, for help text.</summary>
    public const string EvalUsage =
        "eval [--model FILE] [--problems N] [--seed N] [--modes cot,direct,sc] [--samples K] [--temperature X] [--threads N] [--show-errors N]";

    /// <summary>Runs <c>train ...</c> or <c>eval ...</c>; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            return args.FirstOrDefault() switch
            {
                "train" => Train(ParseTrain(args[1..]), output, cancellationToken),
                "eval" => Evaluate(ParseEval(args[1..]), output, cancellationToken),
                _ => Usage(error),
            };
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Reads the train options (the arguments after <c>train</c>).</summary>
    /// <exception cref="ArgumentException">An option is unknown or malformed.</exception>
    public static TrainCommandOptions ParseTrain(IReadOnlyList<string> args)
    {
        var a = new CommandArguments(args);
        var d = new TrainingOptions();
        var m = TrainingOptions.DefaultModel;
        int dim = a.Int("dim", m.EmbeddingLength);
        int heads = a.Int("heads", m.HeadCount);
        var model = m with
        {
            EmbeddingLength = dim,
            FeedForwardLength = a.Int("ffn", m.FeedForwardLength),
            BlockCount = a.Int("layers", m.BlockCount),
            HeadCount = heads,
            KvHeadCount = a.Int("kv-heads", m.KvHeadCount),
            HeadDim = heads > 0 ? dim / heads : 0,
            ContextLength = a.Int("context", m.ContextLength),
        };
        var training = d with
        {
            Model = model,
            Seed = a.ULong("seed", d.Seed),
            Threads = a.Int("threads", d.Threads),
            Steps = a.Int("steps", d.Steps),
            BatchSize = a.Int("batch", d.BatchSize),
            Microbatches = a.Int("microbatches", d.Microbatches),
            PeakLearningRate = a.Double("lr", d.PeakLearningRate),
            FinalLearningRate = a.Double("final-lr", d.FinalLearningRate),
            WarmupSteps = a.Int("warmup", d.WarmupSteps),
            WeightDecay = a.Double("weight-decay", d.WeightDecay),
            GradientClip = a.Double("clip", d.GradientClip),
            DirectFraction = a.Double("direct-fraction", d.DirectFraction),
        };
        var defaults = new TrainCommandOptions();
        var options = new TrainCommandOptions
        {
            OutputPath = a.String("out") ?? defaults.OutputPath,
            Name = a.String("name") ?? defaults.Name,
            Training = training,
            LogEvery = a.Int("log-every", defaults.LogEvery),
            CheckpointEvery = a.Int("checkpoint-every", defaults.CheckpointEvery),
            EvalProblems = a.Int("eval", defaults.EvalProblems),
            EvalThreads = a.Int("eval-threads", defaults.EvalThreads),
        };
        a.RejectUnknown();
        training.Validate();
        return options;
    }

    /// <summary>Reads the eval options (the arguments after <c>eval</c>).</summary>
    /// <exception cref="ArgumentException">An option is unknown or malformed.</exception>
    public static EvalCommandOptions ParseEval(IReadOnlyList<string> args)
    {
        var a = new CommandArguments(args);
        var d = new EvalCommandOptions();
        var modes = a.String("modes") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseMode).ToArray()
            : d.Modes;
        var options = new EvalCommandOptions
        {
            ModelPath = a.String("model") ?? d.ModelPath,
            Problems = a.Int("problems", d.Problems),
            Seed = a.ULong("seed", d.Seed),
            Modes = modes,
            Samples = a.Int("samples", d.Samples),
            Temperature = (float)a.Double("temperature", d.Temperature),
            Threads = a.Int("threads", d.Threads),
            ShowErrors = a.Int("show-errors", d.ShowErrors),
        };
        a.RejectUnknown();
        return options;
    }

    /// <summary>Trains, writing the model to <see cref="TrainCommandOptions.OutputPath"/>; prints progress to <paramref name="output"/>.</summary>
    public static int Train(TrainCommandOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = options.Training;
        var trainer = new Trainer(t);
        var c = t.Model;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: llama dim {c.EmbeddingLength}, ffn {c.FeedForwardLength}, {c.BlockCount} blocks, {c.HeadCount} heads x {c.HeadDim} ({c.KvHeadCount} kv), vocab {c.VocabularySize}, context {c.ContextLength}: {trainer.Layout.Count:N0} parameters"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run: seed {t.Seed}, {t.Threads} threads, {t.Steps} steps x {t.BatchSize} problems ({t.Microbatches} microbatches), lr {t.PeakLearningRate} -> {t.FinalLearningRate}, warmup {t.WarmupSteps}, direct {t.DirectFraction}"));
        var evalProblems = options.EvalProblems > 0 ? ArithmeticTask.HeldOut(options.EvalProblems, seed: 99) : null;
        double lossSum = 0;
        int lossCount = 0;
        long tokens = 0;
        var model = trainer.Run(p =>
        {
            lossSum += p.Loss;
            lossCount++;
            tokens += p.Tokens;
            if (p.Step % Math.Max(1, options.LogEvery) == 0 || p.Step == p.Steps)
            {
                double seconds = p.Elapsed.TotalSeconds;
                double eta = seconds / p.Step * (p.Steps - p.Step);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {p.Step,6}/{p.Steps}  loss {lossSum / lossCount:F4}  lr {p.LearningRate:E2}  |g| {p.GradientNorm:F3}  {tokens / seconds,7:F0} tok/s  {seconds,7:F0}s  eta {eta:F0}s"));
                lossSum = 0;
                lossCount = 0;
            }
            if (options.CheckpointEvery > 0 && p.Step % options.CheckpointEvery == 0 && p.Step != p.Steps)
            {
                Save(trainer.Model, options);
                if (evalProblems is not null)
                {
                    QuickEval(options.OutputPath, evalProblems, options.EvalThreads, output);
                }
            }
        }, cancellationToken);
        Save(model, options);
        output.WriteLine($"wrote {options.OutputPath}");
        if (evalProblems is not null)
        {
            QuickEval(options.OutputPath, evalProblems, options.EvalThreads, output);
        }
        return 0;
    }

    /// <summary>Evaluates a model on held-out problems in each requested mode and prints a table.</summary>
    public static int Evaluate(EvalCommandOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = ArithmeticTask.HeldOut(options.Problems, options.Seed);
        using var model = LanguageModel.Load(options.ModelPath, new LanguageModelOptions(Threads: 1));
        var evaluator = new ArithmeticEvaluator(model, options.Threads) { Temperature = options.Temperature };
        output.WriteLine($"{options.ModelPath}: {problems.Count} held-out problems (seed {options.Seed})");
        output.WriteLine("| mode | correct | accuracy | add | sub | mul | tokens | seconds |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        var errors = new List<string>();
        foreach (var mode in options.Modes)
        {
            var result = evaluator.Evaluate(problems, mode, options.Samples, cancellationToken: cancellationToken);
            var by = result.ByOperation;
            string Score(ArithmeticOperation op) => by.TryGetValue(op, out var s) ? string.Create(CultureInfo.InvariantCulture, $"{s.Accuracy:P1}") : "-";
            string name = mode == EvaluationMode.SelfConsistency ? $"{ModeName(mode)} (k={result.Samples}, T={options.Temperature})" : ModeName(mode);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {result.Correct}/{result.Total} | {result.Accuracy:P1} | {Score(ArithmeticOperation.Add)} | {Score(ArithmeticOperation.Subtract)} | {Score(ArithmeticOperation.Multiply)} | {result.GeneratedTokens} | {result.Seconds:F0} |"));
            foreach (var wrong in result.Outcomes.Where(o => !o.Correct).Take(options.ShowErrors))
            {
                errors.Add($"{ModeName(mode)}: {wrong.Problem} = {wrong.Problem.Answer}, got {wrong.Answer?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}: {wrong.Output.Replace("\n", "|", StringComparison.Ordinal)}");
            }
        }
        foreach (string line in errors)
        {
            output.WriteLine(line);
        }
        return 0;
    }

    private static void Save(TrainedModel model, TrainCommandOptions options)
    {
        var t = options.Training;
        string? directory = Path.GetDirectoryName(Path.GetFullPath(options.OutputPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        var extra = new Dictionary<string, string>
        {
            ["quantruntime.training.recipe"] = string.Create(CultureInfo.InvariantCulture,
                $"seed={t.Seed} threads={t.Threads} steps={t.Steps} batch={t.BatchSize} microbatches={t.Microbatches} lr={t.PeakLearningRate} final_lr={t.FinalLearningRate} warmup={t.WarmupSteps} weight_decay={t.WeightDecay} clip={t.GradientClip} direct_fraction={t.DirectFraction}"),
        };
        model.Save(options.OutputPath, options.Name,
            "A small reasoning model trained from synthetic arithmetic by QuantRuntime: What is A op B? <think>working</think>answer", extra);
    }

    private static void QuickEval(string path, IReadOnlyList<ArithmeticProblem> problems, int threads, TextWriter output)
    {
        using var model = LanguageModel.Load(path, new LanguageModelOptions(Threads: 1));
        var result = new ArithmeticEvaluator(model, threads).Evaluate(problems, EvaluationMode.ChainOfThought);
        var by = result.ByOperation;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  eval (greedy cot, {result.Total} held-out): {result.Accuracy:P1}  add {by[ArithmeticOperation.Add].Accuracy:P0} sub {by[ArithmeticOperation.Subtract].Accuracy:P0} mul {by[ArithmeticOperation.Multiply].Accuracy:P0}  ({result.Seconds:F0}s)"));
        foreach (var wrong in result.Outcomes.Where(o => !o.Correct).Take(2))
        {
            output.WriteLine($"    {wrong.Problem} = {wrong.Problem.Answer}: {wrong.Output.Replace("\n", "|", StringComparison.Ordinal)}");
        }
    }

    private static EvaluationMode ParseMode(string name) => name switch
    {
        "cot" => EvaluationMode.ChainOfThought,
        "direct" => EvaluationMode.Direct,
        "sc" or "self-consistency" => EvaluationMode.SelfConsistency,
        _ => throw new ArgumentException($"unknown mode '{name}' (cot, direct, sc)"),
    };

    private static string ModeName(EvaluationMode mode) => mode switch
    {
        EvaluationMode.ChainOfThought => "cot (greedy)",
        EvaluationMode.Direct => "direct (greedy)",
        _ => "self-consistency",
    };

    private static int Usage(TextWriter error)
    {
        error.WriteLine("usage: quant-train " + TrainUsage);
        error.WriteLine("       quant-train " + EvalUsage);
        return 2;
    }
}
