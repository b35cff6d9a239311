namespace QuantRuntime.Evaluation;

/// <summary>
/// Distribution over scored tokens of KL(base ‖ model) = Σᵥ p_base(v)·(ln p_base(v) − ln p_model(v)), nats.
/// Percentiles follow <see cref="SampleStatistics.Percentile"/>.
/// </summary>
/// <param name="Mean">Mean over scored tokens.</param>
/// <param name="MeanError">Standard error of the mean.</param>
/// <param name="Median">50th percentile.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="P999">99.9th percentile.</param>
/// <param name="Minimum">Smallest.</param>
/// <param name="Maximum">Largest.</param>
public sealed record KlDivergenceStatistics(double Mean, double MeanError, double Median, double P90, double P95, double P99, double P999, double Minimum, double Maximum)
{
    /// <summary>The statistics of per-token divergences.</summary>
    public static KlDivergenceStatistics From(ReadOnlySpan<double> divergences)
    {
        var sorted = SampleStatistics.Sorted(divergences);
        return new KlDivergenceStatistics(
            SampleStatistics.Mean(divergences),
            SampleStatistics.StandardErrorOfMean(divergences),
            SampleStatistics.Percentile(sorted, 0.5),
            SampleStatistics.Percentile(sorted, 0.90),
            SampleStatistics.Percentile(sorted, 0.95),
            SampleStatistics.Percentile(sorted, 0.99),
            SampleStatistics.Percentile(sorted, 0.999),
            SampleStatistics.Percentile(sorted, 0),
            SampleStatistics.Percentile(sorted, 1));
    }
}

/// <summary>
/// Δp = p_model(correct token) − p_base(correct token) per scored token (probabilities, not logs; as llama.cpp).
/// </summary>
/// <param name="Mean">Mean Δp (negative: the model is less sure of the right token).</param>
/// <param name="MeanError">Standard error of the mean.</param>
/// <param name="Rms">√(mean Δp²).</param>
/// <param name="RmsError">SE(Δp²) / (2·RMS), first order; 0 when RMS is 0.</param>
/// <param name="Minimum">Smallest Δp.</param>
/// <param name="P01">1st percentile.</param>
/// <param name="Median">Median.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Maximum">Largest Δp.</param>
public sealed record ProbabilityDeltaStatistics(double Mean, double MeanError, double Rms, double RmsError, double Minimum, double P01, double Median, double P99, double Maximum)
{
    /// <summary>The statistics of per-token probability differences.</summary>
    public static ProbabilityDeltaStatistics From(ReadOnlySpan<double> deltas)
    {
        var squares = new double[deltas.Length];
        for (int i = 0; i < deltas.Length; i++)
        {
            squares[i] = deltas[i] * deltas[i];
        }
        double rms = Math.Sqrt(SampleStatistics.Mean(squares));
        double rmsError = rms > 0 ? SampleStatistics.StandardErrorOfMean(squares) / (2 * rms) : 0;
        var sorted = SampleStatistics.Sorted(deltas);
        return new ProbabilityDeltaStatistics(
            SampleStatistics.Mean(deltas),
            SampleStatistics.StandardErrorOfMean(deltas),
            rms,
            rmsError,
            SampleStatistics.Percentile(sorted, 0),
            SampleStatistics.Percentile(sorted, 0.01),
            SampleStatistics.Percentile(sorted, 0.5),
            SampleStatistics.Percentile(sorted, 0.99),
            SampleStatistics.Percentile(sorted, 1));
    }
}

/// <summary>How often the model's most likely next token is the base model's (arg-max of the logits, lowest id on ties).</summary>
/// <param name="Same">Scored tokens where the two arg-maxes agree.</param>
/// <param name="Total">Scored tokens.</param>
public sealed record TopTokenAgreement(int Same, int Total)
{
    /// <summary>Same / Total (1 for an empty sample).</summary>
    public double Fraction => Total == 0 ? 1 : (double)Same / Total;

    /// <summary>Binomial standard error √(f(1 − f)/(N − 1)); 0 when N &lt; 2.</summary>
    public double FractionError => Total < 2 ? 0 : Math.Sqrt(Fraction * (1 - Fraction) / (Total - 1));
}
