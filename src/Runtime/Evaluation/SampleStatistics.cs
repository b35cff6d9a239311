namespace QuantRuntime.Evaluation;

/// <summary>
/// The sample statistics every evaluation number is built from, in float64 and written out plainly
/// so that docs/EVALUATION.md can state them exactly.
/// </summary>
public static class SampleStatistics
{
    /// <summary>The arithmetic mean; 0 for an empty sample.</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return 0;
        }
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }
        return sum / values.Length;
    }

    /// <summary>
    /// Standard error of the mean, √(Σ(xᵢ − x̄)² / (N(N − 1))): the sample standard deviation over √N.
    /// 0 when N &lt; 2. (llama.cpp's <c>mean_and_uncertainty</c> is the same quantity written with running sums.)
    /// </summary>
    public static double StandardErrorOfMean(ReadOnlySpan<double> values) => Math.Sqrt(CovarianceOfMeans(values, values));

    /// <summary>
    /// Covariance of the two sample means, Σ(aᵢ − ā)(bᵢ − b̄) / (N(N − 1)), for paired samples; 0 when N &lt; 2.
    /// With a = b this is the squared standard error of the mean.
    /// </summary>
    public static double CovarianceOfMeans(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"paired samples differ in length ({a.Length} and {b.Length})");
        }
        int n = a.Length;
        if (n < 2)
        {
            return 0;
        }
        double meanA = Mean(a), meanB = Mean(b);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += (a[i] - meanA) * (b[i] - meanB);
        }
        return sum / ((double)n * (n - 1));
    }

    /// <summary>
    /// The <paramref name="fraction"/> quantile of values sorted in ascending order, by linear
    /// interpolation between closest ranks: with h = fraction·(N − 1), the value at rank ⌊h⌋ plus
    /// (h − ⌊h⌋) times the step to the next rank (numpy's default, Hyndman–Fan type 7; llama.cpp's
    /// perplexity tool uses the same rule). fraction 0 is the minimum, 0.5 the median, 1 the maximum.
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double fraction)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }
        if (!(fraction >= 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a quantile is between 0 and 1");
        }
        double h = fraction * (sorted.Length - 1);
        int low = (int)Math.Floor(h);
        int high = Math.Min(low + 1, sorted.Length - 1);
        double weight = h - low;
        return weight == 0 ? sorted[low] : sorted[low] + weight * (sorted[high] - sorted[low]);
    }

    /// <summary>A sorted copy of <paramref name="values"/>.</summary>
    public static double[] Sorted(ReadOnlySpan<double> values)
    {
        var copy = values.ToArray();
        Array.Sort(copy);
        return copy;
    }
}
