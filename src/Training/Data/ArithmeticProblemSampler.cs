using QuantRuntime.Numerics;

namespace QuantRuntime.Training.Data;

/// <summary>
/// Draws training problems: a seeded stream over additions and subtractions of 2-5 digit numbers
/// and multiplications of 2-3 digit numbers by a digit 1-9, never a held-out problem
/// (<see cref="ArithmeticTask.IsHeldOut"/>).
/// </summary>
/// <remarks>
/// Longer operands are drawn more often, since the evaluation asks 4-5 digit questions. Some
/// subtractions are made to share leading digits (and a few to be equal), so the comparison step
/// of the working sees runs of equal places, which random pairs rarely have.
/// </remarks>
public sealed class ArithmeticProblemSampler
{
    private static readonly double[] LengthWeights = [0, 0, 0.15, 0.20, 0.30, 0.35]; // by digit count
    private readonly SeededRandom _random;

    /// <summary>Starts the stream for <paramref name="seed"/>.</summary>
    public ArithmeticProblemSampler(ulong seed)
    {
        _random = new SeededRandom(seed);
    }

    /// <summary>The next training problem.</summary>
    public ArithmeticProblem Next()
    {
        while (true)
        {
            var problem = Draw();
            if (!ArithmeticTask.IsHeldOut(problem))
            {
                return problem;
            }
        }
    }

    private ArithmeticProblem Draw()
    {
        double u = _random.NextDouble();
        if (u < 0.25)
        {
            long a = ArithmeticTask.RandomNumber(_random, _random.NextDouble() < 0.3 ? 2 : 3);
            return new(a, ArithmeticOperation.Multiply, 1 + _random.NextInt(9));
        }
        var operation = u < 0.60 ? ArithmeticOperation.Add : ArithmeticOperation.Subtract;
        long left = ArithmeticTask.RandomNumber(_random, Length());
        long right = ArithmeticTask.RandomNumber(_random, Length());
        if (operation == ArithmeticOperation.Subtract)
        {
            double v = _random.NextDouble();
            if (v < 0.02)
            {
                right = left;
            }
            else if (v < 0.17)
            {
                right = SharePrefix(left);
            }
        }
        return new(left, operation, right);
    }

    private int Length()
    {
        double u = _random.NextDouble();
        for (int digits = 2; digits < LengthWeights.Length; digits++)
        {
            u -= LengthWeights[digits];
            if (u < 0)
            {
                return digits;
            }
        }
        return LengthWeights.Length - 1;
    }

    // A number of the same length as value agreeing on its 1..length-1 highest digits.
    private long SharePrefix(long value)
    {
        int digits = value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        int kept = 1 + _random.NextInt(digits - 1);
        long scale = ArithmeticTask.Pow10(digits - kept);
        return value / scale * scale + _random.NextInt((int)scale);
    }
}
