using QuantRuntime.Generation;

namespace QuantRuntime.Tests.Generation;

public sealed class SamplerTests
{
    private static float[] LogitsOf(params double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    [Fact]
    public void Greedy_PicksLargest_LowestIdOnTie()
    {
        var sampler = new Sampler(SamplingOptions.Greedy, 5);
        Assert.Equal(3, sampler.Sample([0.1f, 2f, -1f, 3f, 3f]));
    }

    [Fact]
    public void SameSeed_SameTokens_DifferentSeed_DifferentTokens()
    {
        var logits = Enumerable.Range(0, 50).Select(i => (float)Math.Sin(i)).ToArray();
        var options = new SamplingOptions(Temperature: 1.5f, TopK: 0, TopP: 1, MinP: 0, Seed: 7);
        int[] Run(SamplingOptions o)
        {
            var sampler = new Sampler(o, logits.Length);
            return Enumerable.Range(0, 200).Select(_ => sampler.Sample(logits)).ToArray();
        }
        Assert.Equal(Run(options), Run(options));
        Assert.NotEqual(Run(options), Run(options with { Seed = 8 }));
    }

    [Fact]
    public void UnfilteredDraws_FollowSoftmax()
    {
        double[] p = [0.4, 0.3, 0.2, 0.1];
        var sampler = new Sampler(new SamplingOptions(Temperature: 1, TopK: 0, TopP: 1, MinP: 0, Seed: 1), p.Length);
        const int draws = 40_000;
        var counts = new int[p.Length];
        var logits = LogitsOf(p);
        for (int i = 0; i < draws; i++)
        {
            counts[sampler.Sample(logits)]++;
        }
        for (int i = 0; i < p.Length; i++)
        {
            // Binomial standard deviation; 5 sigma keeps a correct sampler from failing by chance.
            double sigma = Math.Sqrt(draws * p[i] * (1 - p[i]));
            Assert.InRange(counts[i], draws * p[i] - 5 * sigma, draws * p[i] + 5 * sigma);
        }
    }

    [Fact]
    public void Temperature_SharpensDistribution()
    {
        // At temperature 0.5 the probabilities become p^2 normalised: 0.64/0.8 and 0.16/0.8... for [0.8, 0.2] -> [16/17, 1/17].
        var sampler = new Sampler(new SamplingOptions(Temperature: 0.5f, TopK: 0, TopP: 1, MinP: 0, Seed: 3), 2);
        var logits = LogitsOf(0.8, 0.2);
        const int draws = 40_000;
        int first = Enumerable.Range(0, draws).Count(_ => sampler.Sample(logits) == 0);
        double expected = 16.0 / 17.0, sigma = Math.Sqrt(draws * expected * (1 - expected));
        Assert.InRange(first, draws * expected - 5 * sigma, draws * expected + 5 * sigma);
    }

    [Fact]
    public void TopK_TopP_MinP_RemoveTheTail()
    {
        var logits = LogitsOf(0.05, 0.5, 0.15, 0.3);
        Assert.All(Draw(new SamplingOptions(Temperature: 1, TopK: 2, TopP: 1, MinP: 0), logits), t => Assert.Contains(t, new[] { 1, 3 }));
        // Cumulative 0.5, 0.8 reaches top-p 0.75 with the two most likely tokens.
        Assert.All(Draw(new SamplingOptions(Temperature: 1, TopK: 0, TopP: 0.75f, MinP: 0), logits), t => Assert.Contains(t, new[] { 1, 3 }));
        // min-p 0.5 keeps tokens with p >= 0.25.
        Assert.All(Draw(new SamplingOptions(Temperature: 1, TopK: 0, TopP: 1, MinP: 0.5f), logits), t => Assert.Contains(t, new[] { 1, 3 }));
        // Both survivors really are drawn.
        Assert.Equal(2, Draw(new SamplingOptions(Temperature: 1, TopK: 2, TopP: 1, MinP: 0), logits).Distinct().Count());
    }

    [Fact]
    public void RepetitionPenalty_DividesPositiveAndMultipliesNegativeLogits()
    {
        var sampler = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 2f }, 3);
        sampler.Accept(0);
        // Token 0: 3 / 2 = 1.5 < 2, so token 1 wins.
        Assert.Equal(1, sampler.Sample([3f, 2f, -5f]));
        // Tokens 0 and 1 are both penalised now: 1.5 and 1.0 vs 1.6.
        Assert.Equal(2, sampler.Sample([3f, 2f, 1.6f]));
        var negative = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 2f }, 2);
        negative.Accept(0);
        // -1 * 2 = -2 < -1.5.
        Assert.Equal(1, negative.Sample([-1f, -1.5f]));
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0.05f, 1f, "temperature")]
    [InlineData(1f, -1, 0.9f, 0.05f, 1f, "top-k")]
    [InlineData(1f, 40, 0f, 0.05f, 1f, "top-p")]
    [InlineData(1f, 40, 1.5f, 0.05f, 1f, "top-p")]
    [InlineData(1f, 40, 0.9f, -0.1f, 1f, "min-p")]
    [InlineData(1f, 40, 0.9f, 0.05f, 0f, "repetition penalty")]
    [InlineData(float.NaN, 40, 0.9f, 0.05f, 1f, "temperature")]
    public void InvalidOptions_AreRejectedByName(float temperature, int topK, float topP, float minP, float penalty, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions(temperature, topK, topP, minP, penalty), 10));
        Assert.Contains(named, error.Message);
    }

    private static int[] Draw(SamplingOptions options, float[] logits)
    {
        var sampler = new Sampler(options with { Seed = 11 }, logits.Length);
        return Enumerable.Range(0, 2000).Select(_ => sampler.Sample(logits)).ToArray();
    }
}
