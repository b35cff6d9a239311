using QuantRuntime.Numerics;

namespace QuantRuntime.Training.Tests.Reference;

/// <summary>Central finite differences of float64 functions, and the comparison rule the gradient tests use.</summary>
internal static class FiniteDifference
{
    /// <summary>Step of the central difference: its truncation error (~h²) is far below float32 rounding of the checked gradients.</summary>
    public const double Step = 1e-5;

    /// <summary>∂f/∂x[i] ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h.</summary>
    public static double Derivative(Func<double[], double> f, double[] x, int i)
    {
        double saved = x[i];
        x[i] = saved + Step;
        double plus = f(x);
        x[i] = saved - Step;
        double minus = f(x);
        x[i] = saved;
        return (plus - minus) / (2 * Step);
    }

    /// <summary>
    /// Asserts that float32 gradients match float64 finite differences: for every checked element
    /// |analytic − numeric| ≤ 1e-3·|numeric| + 1e-3·max|numeric| (float32 rounding of sums over a few
    /// hundred terms is ~1e-6 relative; a wrong term in a backward pass is off by far more).
    /// </summary>
    public static void AssertClose(IReadOnlyList<double> analytic, IReadOnlyList<double> numeric, string what)
    {
        Assert.Equal(numeric.Count, analytic.Count);
        double scale = numeric.Max(Math.Abs);
        Assert.True(scale > 0, $"{what}: every numeric derivative is zero, the check proves nothing");
        for (int i = 0; i < numeric.Count; i++)
        {
            double tolerance = 1e-3 * Math.Abs(numeric[i]) + 1e-3 * scale;
            Assert.True(Math.Abs(analytic[i] - numeric[i]) <= tolerance,
                $"{what}[{i}]: analytic {analytic[i]:G9} vs numeric {numeric[i]:G9} (tolerance {tolerance:G3})");
        }
    }

    /// <summary>Seeded N(0, σ²) values.</summary>
    public static float[] Normal(int count, ulong seed, double std = 1)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextNormal() * std);
        }
        return values;
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }
        return result;
    }

    public static double WeightedSum(double[] values, float[] weights)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i] * weights[i];
        }
        return sum;
    }
}
