using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Evaluation;

/// <summary>Exact-match accuracy of one mode over a problem set.</summary>
/// <param name="Mode">How the questions were asked.</param>
/// <param name="Samples">Chains per problem (1 unless self-consistency).</param>
/// <param name="Outcomes">Every problem's outcome, in order.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="GeneratedTokens">Tokens generated in all.</param>
public sealed record ArithmeticEvaluation(EvaluationMode Mode, int Samples, IReadOnlyList<ProblemOutcome> Outcomes, double Seconds, long GeneratedTokens)
{
    /// <summary>Problems answered exactly.</summary>
    public int Correct => Outcomes.Count(o => o.Correct);

    /// <summary>Problems asked.</summary>
    public int Total => Outcomes.Count;

    /// <summary>Correct / Total.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Accuracy per operation.</summary>
    public IReadOnlyDictionary<ArithmeticOperation, OperationScore> ByOperation =>
        Outcomes.GroupBy(o => o.Problem.Operation).ToDictionary(g => g.Key, g => new OperationScore(g.Count(o => o.Correct), g.Count()));
}
