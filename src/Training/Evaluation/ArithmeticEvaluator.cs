using System.Diagnostics;
using QuantRuntime.Generation;
using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Evaluation;

/// <summary>
/// Measures a model on the arithmetic task through the inference engine itself
/// (<see cref="LanguageModel"/>, <see cref="TextGenerator"/>): each question is asked as
/// <c>What is A op B?</c> and the answer read with <see cref="ArithmeticTask.ExtractAnswer"/>.
/// Problems run in parallel; each is independent and seeded, so results do not depend on the
/// thread count.
/// </summary>
/// <param name="model">A model with the task's vocabulary.</param>
/// <param name="threads">Problems evaluated at once.</param>
public sealed class ArithmeticEvaluator(LanguageModel model, int threads = 1)
{
    /// <summary>Most tokens a completion may take (the longest working is about 130 tokens).</summary>
    public int MaxTokens { get; init; } = 160;

    /// <summary>Sampling temperature of the self-consistency chains.</summary>
    public float Temperature { get; init; } = 0.5f;

    /// <summary>Base seed of the self-consistency chains (chain i of problem p uses a seed derived from both).</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>Asks every problem in <paramref name="mode"/>; <paramref name="samples"/> chains each for self-consistency.</summary>
    public ArithmeticEvaluation Evaluate(IReadOnlyList<ArithmeticProblem> problems, EvaluationMode mode, int samples = 1, Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        int chains = mode == EvaluationMode.SelfConsistency ? samples : 1;
        ArgumentOutOfRangeException.ThrowIfLessThan(chains, 1);
        var outcomes = new ProblemOutcome[problems.Count];
        long generated = 0;
        int done = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, problems.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken }, p =>
        {
            var problem = problems[p];
            var votes = new Dictionary<long, int>();
            var order = new List<long>();
            string firstOutput = string.Empty;
            long tokens = 0;
            for (int chain = 0; chain < chains; chain++)
            {
                var sampling = mode == EvaluationMode.SelfConsistency
                    ? new SamplingOptions(Temperature: Temperature, TopK: 0, TopP: 1, MinP: 0, Seed: Seed + (ulong)p * 1000003UL + (ulong)chain)
                    : SamplingOptions.Greedy;
                var (text, count) = Complete(problem, PrefixOf(mode), sampling, cancellationToken);
                tokens += count;
                if (chain == 0)
                {
                    firstOutput = text;
                }
                if (ArithmeticTask.ExtractAnswer(text) is long answer)
                {
                    if (!votes.TryAdd(answer, 1))
                    {
                        votes[answer]++;
                    }
                    else
                    {
                        order.Add(answer);
                    }
                }
            }
            // Most votes; among equals the answer that came first.
            long? chosen = null;
            int best = 0;
            foreach (long answer in order)
            {
                if (votes[answer] > best)
                {
                    best = votes[answer];
                    chosen = answer;
                }
            }
            outcomes[p] = new ProblemOutcome(problem, chosen, firstOutput, votes);
            Interlocked.Add(ref generated, tokens);
            progress?.Invoke(Interlocked.Increment(ref done));
        });
        return new ArithmeticEvaluation(mode, chains, outcomes, clock.Elapsed.TotalSeconds, generated);
    }

    /// <summary>
    /// What the evaluator puts after the question in <paramref name="mode"/>: nothing for greedy chain
    /// of thought (the model opens its own thoughts), the empty thought for direct answers, and an
    /// opened thought (<c>&lt;think&gt;</c> and the newline the working starts with) for sampled chains,
    /// which would otherwise sometimes sample the direct mode instead of a chain of thought.
    /// </summary>
    public static string PrefixOf(EvaluationMode mode) => mode switch
    {
        EvaluationMode.Direct => ArithmeticTask.ThinkOpen + ArithmeticTask.ThinkClose,
        EvaluationMode.SelfConsistency => ArithmeticTask.ThinkOpen + "\n",
        _ => string.Empty,
    };

    /// <summary>
    /// One completion of <paramref name="problem"/> after <paramref name="prefix"/>: the prefix and what
    /// the model writes after it (so the text always reads <c>&lt;think&gt;…&lt;/think&gt;answer</c>), and
    /// the number of tokens generated.
    /// </summary>
    public (string Text, int Tokens) Complete(ArithmeticProblem problem, string prefix, SamplingOptions sampling, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var request = new GenerationRequest
        {
            Prompt = ArithmeticTask.Question(problem) + prefix,
            MaxTokens = MaxTokens,
            Sampling = sampling,
        };
        GenerationResult? result = null;
        foreach (var update in new TextGenerator(model).GenerateAsync(request, cancellationToken).ToBlockingEnumerable(cancellationToken))
        {
            result = update.Result ?? result;
        }
        if (result is null)
        {
            throw new InvalidOperationException("the generator ended without a result");
        }
        return (prefix + (result.Text ?? string.Empty), result.GeneratedIds.Count);
    }
}
