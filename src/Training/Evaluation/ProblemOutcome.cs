using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Evaluation;

/// <summary>What the model did with one problem.</summary>
/// <param name="Problem">The problem.</param>
/// <param name="Answer">The extracted (or voted) answer; null when none could be read.</param>
/// <param name="Output">The generated text (the first chain for self-consistency).</param>
/// <param name="Votes">Answer → chains that gave it (self-consistency), else a single entry.</param>
public sealed record ProblemOutcome(ArithmeticProblem Problem, long? Answer, string Output, IReadOnlyDictionary<long, int> Votes)
{
    /// <summary>Whether the answer is exact.</summary>
    public bool Correct => Answer == Problem.Answer;
}
