using QuantRuntime.Evaluation;

namespace QuantRuntime.Tests.Evaluation;

/// <summary>The windowing rules of docs/EVALUATION.md, and the sample statistics, on hand-made inputs.</summary>
public sealed class EvaluationWindowsTests
{
    [Fact]
    public void Windows_AreConsecutive_BosReplacesTheFirstToken_RemainderUnused()
    {
        int[] stream = [.. Enumerable.Range(100, 23)];
        var plan = EvaluationWindows.Plan(stream, contextLength: 10, ScoredPositions.SecondHalf, bos: 1);
        Assert.Equal(2, plan.Windows.Count);
        Assert.Equal([1, 101, 102, 103, 104, 105, 106, 107, 108, 109], plan.Windows[0].Tokens);
        Assert.Equal([1, 111, 112, 113, 114, 115, 116, 117, 118, 119], plan.Windows[1].Tokens);
        Assert.Equal(10, plan.Windows[1].StreamOffset);
        // Second half: predictions at positions 5..8, of tokens 6..9.
        Assert.All(plan.Windows, w => Assert.Equal(5, w.FirstScored));
        Assert.Equal(4, plan.Windows[0].ScoredCount);
        Assert.Equal(106, plan.Windows[0].Target(0));
        Assert.Equal(109, plan.Windows[0].Target(3));
        Assert.Equal(8, plan.ScoredTokens);
        Assert.Equal(20, plan.UsedTokens);
        Assert.Equal(23, plan.StreamTokens);
    }

    [Fact]
    public void AllPositions_WithoutBos_ScoreEveryPredictionOfTheStreamTokens()
    {
        int[] stream = [.. Enumerable.Range(100, 30)];
        var plan = EvaluationWindows.Plan(stream, contextLength: 10, ScoredPositions.All, bos: null, maxWindows: 2);
        Assert.Equal(2, plan.Windows.Count);
        Assert.Equal(stream[10..20], plan.Windows[1].Tokens);
        Assert.Equal(0, plan.Windows[0].FirstScored);
        Assert.Equal(9, plan.Windows[0].ScoredCount);
        Assert.Equal(101, plan.Windows[0].Target(0));
        Assert.Equal(18, plan.ScoredTokens);
    }

    [Theory]
    [InlineData(9, 10, ScoredPositions.SecondHalf, "fewer than one window")]
    [InlineData(100, 2, ScoredPositions.SecondHalf, "scores no prediction")]
    [InlineData(100, 1, ScoredPositions.All, "scores no prediction")]
    public void Plan_RefusesWhatScoresNothing(int tokens, int context, ScoredPositions scoring, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => EvaluationWindows.Plan(new int[tokens], context, scoring));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Percentile_InterpolatesBetweenClosestRanks()
    {
        double[] sorted = [1, 2, 4, 8, 16];
        Assert.Equal(1, SampleStatistics.Percentile(sorted, 0));
        Assert.Equal(4, SampleStatistics.Percentile(sorted, 0.5));
        Assert.Equal(16, SampleStatistics.Percentile(sorted, 1));
        // h = 0.9 * 4 = 3.6: 8 + 0.6 * (16 - 8).
        Assert.Equal(12.8, SampleStatistics.Percentile(sorted, 0.9), 12);
        // numpy.percentile([1, 2, 4, 8], 50) == 3.0
        Assert.Equal(3, SampleStatistics.Percentile([1, 2, 4, 8], 0.5));
    }

    [Fact]
    public void StandardError_IsSampleDeviationOverRootN()
    {
        double[] values = [2, 4, 4, 4, 5, 5, 7, 9];
        // Sample variance 32/7; SE = sqrt(32/7/8).
        Assert.Equal(Math.Sqrt(32.0 / 7 / 8), SampleStatistics.StandardErrorOfMean(values), 14);
        Assert.Equal(0, SampleStatistics.StandardErrorOfMean([3.0]));
        var top = new TopTokenAgreement(3, 4);
        Assert.Equal(Math.Sqrt(0.75 * 0.25 / 3), top.FractionError, 14);
    }

    [Fact]
    public void KlDivergence_OfKnownDistributions()
    {
        double[] p = [Math.Log(0.5), Math.Log(0.5)];
        double[] q = [Math.Log(0.25), Math.Log(0.75)];
        double expected = 0.5 * Math.Log(0.5 / 0.25) + 0.5 * Math.Log(0.5 / 0.75);
        Assert.Equal(expected, TokenDistribution.KlDivergence(p, q), 14);
        Assert.Equal(0, TokenDistribution.KlDivergence(p, p));
        Assert.Equal(1, TokenDistribution.ArgMax([0f, 3f, 3f, 1f]));
    }
}
