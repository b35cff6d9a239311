namespace QuantRuntime.Training.Evaluation;

/// <summary>Correct answers out of the problems of one operation.</summary>
/// <param name="Correct">Problems answered exactly.</param>
/// <param name="Total">Problems asked.</param>
public sealed record OperationScore(int Correct, int Total)
{
    /// <summary>Correct / Total (0 when nothing was asked).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}
