using System.Globalization;
using QuantRuntime.Evaluation;
using QuantRuntime.Generation;
using QuantRuntime.Reasoning;
using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Evaluation;

/// <summary>
/// <c>quant eval --task arithmetic[:N]</c>: exact-match accuracy on N held-out problems
/// (<see cref="ArithmeticTask.HeldOut"/>, default 1,000), asked three ways through the
/// <see cref="ChainOfThoughtDecoder"/>: direct (an empty thought), chain of thought (greedy), and
/// self-consistency (k sampled chains sharing the prompt's KV prefix, majority vote, ties to the
/// higher mean log-probability). Seeded, so every model of an evaluation meets the same problems
/// and the same draws.
/// </summary>
public sealed class ArithmeticEvaluationTask : IEvaluationTask
{
    /// <summary>Creates the task.</summary>
    /// <param name="problems">Held-out problems asked.</param>
    /// <param name="seed">Seed of the problem set and of the self-consistency draws.</param>
    /// <param name="samples">Chains per self-consistency vote.</param>
    /// <param name="temperature">Temperature of those chains.</param>
    public ArithmeticEvaluationTask(int problems = 1000, ulong seed = 1, int samples = 5, float temperature = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(problems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        Problems = problems;
        Seed = seed;
        Samples = samples;
        Temperature = temperature;
    }

    /// <inheritdoc />
    public string Name => "arithmetic";

    /// <summary>Held-out problems asked.</summary>
    public int Problems { get; }

    /// <summary>Seed of the problem set and the draws.</summary>
    public ulong Seed { get; }

    /// <summary>Chains per self-consistency vote.</summary>
    public int Samples { get; }

    /// <summary>Temperature of the self-consistency chains.</summary>
    public float Temperature { get; }

    /// <summary>The task for <c>arithmetic</c> or <c>arithmetic:N</c>.</summary>
    /// <exception cref="ArgumentException">N is not a positive integer.</exception>
    public static ArithmeticEvaluationTask Parse(string? argument)
    {
        if (argument is null)
        {
            return new ArithmeticEvaluationTask();
        }
        return int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0
            ? new ArithmeticEvaluationTask(count)
            : throw new ArgumentException($"task 'arithmetic:{argument}': the number of problems must be a positive integer");
    }

    /// <inheritdoc />
    public EvaluationTaskResult Run(EvaluationTaskContext context, CancellationToken cancellationToken)
    {
        var tokenizer = context.Tokenizer ?? throw new ArgumentException("the arithmetic task needs the model's tokenizer");
        var decoder = new ChainOfThoughtDecoder(ReasoningModel.From(context.Model, tokenizer));
        var problems = ArithmeticTask.HeldOut(Problems, Seed);
        var common = new ReasoningOptions
        {
            AnswerPattern = ArithmeticTask.AnswerPattern,
            ComputeInformationGain = false,
            MaxAnswerTokens = 12,
        };
        var variants = new (string Name, Func<int, ReasoningOptions> Options)[]
        {
            ("direct", _ => common with { Mode = ReasoningMode.Direct, Sampling = SamplingOptions.Greedy }),
            ("chain-of-thought", _ => common with { Mode = ReasoningMode.ChainOfThought, Sampling = SamplingOptions.Greedy }),
            // Chains are opened with the newline that starts the working, so a sampled chain cannot
            // fall into the empty (direct) thought and vote an unworked answer.
            ($"self-consistency k={Samples}", p => common with
            {
                Mode = ReasoningMode.SelfConsistency,
                Samples = Samples,
                Tags = new ThinkingTags(ArithmeticTask.ThinkOpen + "\n", ArithmeticTask.ThinkClose),
                Sampling = new SamplingOptions(Temperature: Temperature, TopK: 0, TopP: 1, MinP: 0, Seed: Seed + (ulong)p * 1_000_003UL),
            }),
        };
        var accuracies = new List<TaskAccuracy>();
        foreach (var (name, options) in variants)
        {
            int correct = 0;
            for (int p = 0; p < problems.Count; p++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = decoder.DecodeAsync(ArithmeticTask.Question(problems[p]), options(p), cancellationToken).GetAwaiter().GetResult();
                if (result.Answer == ArithmeticTask.AnswerText(problems[p]))
                {
                    correct++;
                }
            }
            accuracies.Add(new TaskAccuracy(name, correct, problems.Count));
        }
        return new EvaluationTaskResult(Name, accuracies);
    }
}
