namespace QuantRuntime.Tests.Oracle;

/// <summary>How far two logit matrices are apart, row by row, relative to each row's scale.</summary>
/// <param name="WorstRelative">Largest over rows of max |ours - oracle| / max |oracle|.</param>
/// <param name="WorstRow">Row where that happens.</param>
/// <param name="WorstAbsolute">Largest absolute difference anywhere.</param>
public sealed record LogitAgreement(double WorstRelative, int WorstRow, double WorstAbsolute)
{
    /// <summary>Compares <paramref name="ours"/> with <paramref name="oracle"/>, both <c>rows x vocabulary</c>.</summary>
    public static LogitAgreement Measure(ReadOnlySpan<float> ours, ReadOnlySpan<float> oracle, int vocabulary)
    {
        if (ours.Length != oracle.Length || ours.Length % vocabulary != 0)
        {
            throw new ArgumentException($"logit matrices of {ours.Length} and {oracle.Length} floats do not match rows of {vocabulary}");
        }
        double worstRelative = 0, worstAbsolute = 0;
        int worstRow = 0;
        for (int r = 0; r < ours.Length / vocabulary; r++)
        {
            var a = ours.Slice(r * vocabulary, vocabulary);
            var b = oracle.Slice(r * vocabulary, vocabulary);
            double scale = 0, difference = 0;
            for (int i = 0; i < vocabulary; i++)
            {
                scale = Math.Max(scale, Math.Abs((double)b[i]));
                double d = Math.Abs((double)a[i] - b[i]);
                difference = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(difference, d);
            }
            double relative = difference / Math.Max(scale, 1e-30);
            worstAbsolute = Math.Max(worstAbsolute, difference);
            if (relative > worstRelative)
            {
                (worstRelative, worstRow) = (relative, r);
            }
        }
        return new LogitAgreement(worstRelative, worstRow, worstAbsolute);
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"worst row {WorstRow}: {WorstRelative:E3} of its max |logit| (largest absolute difference {WorstAbsolute:E3})");
}
