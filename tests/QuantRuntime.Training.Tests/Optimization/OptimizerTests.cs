using QuantRuntime.Training.Optimization;

namespace QuantRuntime.Training.Tests.Optimization;

public sealed class OptimizerTests
{
    [Fact]
    public void AdamWStepsMatchAHandComputation()
    {
        var adam = new AdamW(2, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5);
        float[] p = [1.0f, -2.0f];
        adam.BeginStep();
        adam.Update(p, [0.5f, 0.25f], 0, 2, learningRate: 0.1, gradientScale: 1, decay: true);
        // Step 1: m = 0.1 g, v = 0.01 g², m̂ = g, v̂ = g², update = g/|g| = ±1 (ε negligible); decay p·(1 − 0.1·0.5).
        Assert.Equal(1.0 * 0.95 - 0.1, p[0], 6);
        Assert.Equal(-2.0 * 0.95 - 0.1, p[1], 6);

        adam.BeginStep();
        adam.Update(p, [-1.0f, 0.25f], 0, 2, learningRate: 0.1, gradientScale: 0.5, decay: false);
        // Step 2 on p[0]: g = −0.5 (scaled); m = 0.9·0.05 + 0.1·(−0.5) = −0.005; v = 0.99·0.0025 + 0.01·0.25 = 0.004975.
        double m = -0.005 / (1 - 0.81), v = 0.004975 / (1 - 0.9801);
        Assert.Equal(0.85 - 0.1 * m / (Math.Sqrt(v) + 1e-8), p[0], 5);
        // p[1]: g = 0.125; m = 0.9·0.025 + 0.0125 = 0.035; v = 0.99·0.000625 + 0.01·0.015625 = 0.00077500.
        double m1 = 0.035 / 0.19, v1 = 0.000775 / 0.0199;
        Assert.Equal(-2.0 - 0.1 * m1 / (Math.Sqrt(v1) + 1e-8), p[1], 5);
    }

    [Fact]
    public void UpdateBeforeBeginStepThrows()
    {
        var adam = new AdamW(1);
        Assert.Throws<InvalidOperationException>(() => adam.Update(new float[1], new float[1], 0, 1, 0.1, 1, false));
    }

    [Fact]
    public void ScheduleWarmsUpLinearlyThenFollowsACosineToTheFinalRate()
    {
        var s = new LearningRateSchedule(PeakRate: 1e-3, FinalRate: 1e-4, WarmupSteps: 10, TotalSteps: 111);
        Assert.Equal(1e-4, s.RateAt(0), 12);
        Assert.Equal(5e-4, s.RateAt(4), 12);
        Assert.Equal(1e-3, s.RateAt(9), 12);
        Assert.Equal(1e-3, s.RateAt(10), 12);          // cosine starts at the peak
        Assert.Equal((1e-3 + 1e-4) / 2, s.RateAt(60), 12); // half way down
        Assert.Equal(1e-4 + 0.45e-3 * (1 + Math.Cos(Math.PI * 0.25)), s.RateAt(35), 12);
        Assert.Equal(1e-4, s.RateAt(110), 12);         // last step
        for (int step = 11; step < 111; step++)
        {
            Assert.True(s.RateAt(step) <= s.RateAt(step - 1));
        }
    }
}
