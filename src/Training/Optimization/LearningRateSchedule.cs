namespace QuantRuntime.Training.Optimization;

/// <summary>
/// Linear warm-up from <c>PeakRate/WarmupSteps</c> to <see cref="PeakRate"/> over the first
/// <see cref="WarmupSteps"/> steps, then a half cosine from the peak down to <see cref="FinalRate"/>
/// at the last step.
/// </summary>
/// <param name="PeakRate">The rate at the end of warm-up.</param>
/// <param name="FinalRate">The rate of the last step.</param>
/// <param name="WarmupSteps">Steps of linear warm-up (0 for none).</param>
/// <param name="TotalSteps">All steps.</param>
public sealed record LearningRateSchedule(double PeakRate, double FinalRate, int WarmupSteps, int TotalSteps)
{
    /// <summary>The rate of step <paramref name="step"/> (0-based).</summary>
    public double RateAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return PeakRate * (step + 1) / WarmupSteps;
        }
        int decaySteps = TotalSteps - WarmupSteps - 1;
        if (decaySteps <= 0)
        {
            return PeakRate;
        }
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        return FinalRate + 0.5 * (PeakRate - FinalRate) * (1 + Math.Cos(Math.PI * progress));
    }
}
