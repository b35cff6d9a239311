namespace QuantRuntime.Benchmarking;

/// <summary>Repeated measurements of one test (tokens per second), with their mean and standard deviation.</summary>
/// <param name="Test">llama-bench's name for the test: <c>pp128</c>, <c>tg64</c>.</param>
/// <param name="TokensPerSecond">One value per timed repetition.</param>
public sealed record ThroughputSample(string Test, IReadOnlyList<double> TokensPerSecond)
{
    /// <summary>Mean tokens per second.</summary>
    public double Mean => TokensPerSecond.Average();

    /// <summary>Sample standard deviation (0 for one repetition).</summary>
    public double StandardDeviation
    {
        get
        {
            if (TokensPerSecond.Count < 2)
            {
                return 0;
            }
            double mean = Mean;
            return Math.Sqrt(TokensPerSecond.Sum(v => (v - mean) * (v - mean)) / (TokensPerSecond.Count - 1));
        }
    }

    /// <summary>Median tokens per second (robust to the machine's 30-50% swings).</summary>
    public double Median
    {
        get
        {
            var sorted = TokensPerSecond.Order().ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }
}
