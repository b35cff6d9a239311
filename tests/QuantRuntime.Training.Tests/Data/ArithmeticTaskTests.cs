using System.Numerics;
using System.Text.RegularExpressions;
using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Tests.Data;

public sealed partial class ArithmeticTaskTests
{
    [Fact]
    public void ExamplesReadAsDocumented()
    {
        Assert.Equal("What is 48213 + 3797?<think>\ne4d8c2b1a3+e0d3c7b9a7\na3+7+0=10\nb1+9+1=11\nc2+7+1=10\nd8+3+1=12\ne4+0+1=05\n</think>52010",
            ArithmeticTask.Format(new(48213, ArithmeticOperation.Add, 3797)));
        Assert.Equal("What is 877 - 5120?<think>\nd0c8b7a7-d5c1b2a0\nd0-5<\n-d5c1b2a0-d0c8b7a7\na0-7-0=13\nb2-7-1=14\nc1-8-1=12\nd5-0-1=04\n</think>-4243",
            ArithmeticTask.Format(new(877, ArithmeticOperation.Subtract, 5120)));
        Assert.Equal("What is 372 * 6?<think>\nc3b7a2*6\na2*6+0=12\nb7*6+1=43\nc3*6+4=22\n</think>2232",
            ArithmeticTask.Format(new(372, ArithmeticOperation.Multiply, 6)));
        Assert.Equal("What is 372 * 6?<think></think>2232", ArithmeticTask.Format(new(372, ArithmeticOperation.Multiply, 6), ThoughtMode.Direct));
    }

    [Fact]
    public void AnswersAreExactAndTheWorkingDerivesThem()
    {
        var sampler = new ArithmeticProblemSampler(7);
        var problems = Enumerable.Range(0, 20000).Select(_ => sampler.Next()).Concat(ArithmeticTask.HeldOut(600, 3)).ToList();
        problems.Add(new(48213, ArithmeticOperation.Subtract, 48213));
        problems.Add(new(99999, ArithmeticOperation.Add, 99999));
        problems.Add(new(10000, ArithmeticOperation.Subtract, 99999));
        problems.Add(new(999, ArithmeticOperation.Multiply, 9));
        foreach (var p in problems)
        {
            var expected = p.Operation switch
            {
                ArithmeticOperation.Add => new BigInteger(p.A) + p.B,
                ArithmeticOperation.Subtract => new BigInteger(p.A) - p.B,
                _ => new BigInteger(p.A) * p.B,
            };
            Assert.Equal(expected, new BigInteger(p.Answer));
            string completion = ArithmeticTask.Completion(p);
            Assert.Equal(p.Answer, ArithmeticTask.ExtractAnswer(completion));
            Assert.Equal(expected, ReplayWorking(p, ArithmeticTask.Thought(p)));
        }
    }

    // Re-derives the answer from the written working alone, checking every line's arithmetic.
    private static BigInteger ReplayWorking(ArithmeticProblem p, string thought)
    {
        var lines = thought.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        bool negative = lines.Any(l => l.StartsWith('-'));
        var columns = lines.Where(l => ColumnLine().IsMatch(l)).ToList();
        BigInteger result = 0;
        int carry = 0;
        for (int place = 0; place < columns.Count; place++)
        {
            var m = ColumnLine().Match(columns[place]);
            Assert.Equal("abcde"[place], m.Groups[1].Value[0]);
            int x = m.Groups[2].Value[0] - '0', y = m.Groups[4].Value[0] - '0', carryIn = m.Groups[5].Value[0] - '0';
            int high = m.Groups[6].Value[0] - '0', low = m.Groups[7].Value[0] - '0';
            Assert.Equal(carry, carryIn);
            switch (m.Groups[3].Value)
            {
                case "+": Assert.Equal(x + y + carryIn, 10 * high + low); break;
                case "*": Assert.Equal(x * y + carryIn, 10 * high + low); break;
                default: Assert.Equal(x - y - carryIn, low - 10 * high); break;
            }
            result += low * BigInteger.Pow(10, place);
            carry = high;
        }
        if (columns.Count > 0 && ColumnLine().Match(columns[0]).Groups[3].Value != "-")
        {
            result += carry * BigInteger.Pow(10, columns.Count);
        }
        else
        {
            Assert.Equal(0, carry); // the larger operand is always on top
        }
        return negative ? -result : result;
    }

    [GeneratedRegex(@"^([a-e])(\d)([-+*])(\d)[-+](\d)=(\d)(\d)$")]
    private static partial Regex ColumnLine();

    [Fact]
    public void HeldOutProblemsNeverReachTraining()
    {
        var heldOut = ArithmeticTask.HeldOut(2900, seed: 1);
        Assert.Equal(2900, heldOut.Distinct().Count());
        Assert.All(heldOut, p => Assert.True(ArithmeticTask.IsHeldOut(p)));
        var set = heldOut.ToHashSet();
        var sampler = new ArithmeticProblemSampler(11);
        for (int i = 0; i < 100_000; i++)
        {
            var p = sampler.Next();
            Assert.False(ArithmeticTask.IsHeldOut(p));
            Assert.DoesNotContain(p, set);
        }
    }

    [Fact]
    public void HeldOutSetIsSeededAndBalanced()
    {
        var a = ArithmeticTask.HeldOut(999, seed: 5);
        Assert.Equal(a, ArithmeticTask.HeldOut(999, seed: 5));
        Assert.NotEqual(a, ArithmeticTask.HeldOut(999, seed: 6));
        Assert.Equal(333, a.Count(p => p.Operation == ArithmeticOperation.Add));
        Assert.Equal(333, a.Count(p => p.Operation == ArithmeticOperation.Subtract));
        Assert.Equal(333, a.Count(p => p.Operation == ArithmeticOperation.Multiply));
        Assert.All(a.Where(p => p.Operation != ArithmeticOperation.Multiply), p => Assert.True(p.A is >= 1000 and <= 99999 && p.B is >= 1000 and <= 99999));
        Assert.All(a.Where(p => p.Operation == ArithmeticOperation.Multiply), p => Assert.True(p.A is >= 100 and <= 999 && p.B is >= 1 and <= 9));
        Assert.Contains(a, p => p.Answer < 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ArithmeticTask.HeldOut(4000));
    }

    [Theory]
    [InlineData("<think>a1+2+0=03\n</think>3", 3L)]
    [InlineData("<think>x</think> -4243 and more", -4243L)]
    [InlineData("<think></think>52010", 52010L)]
    [InlineData("52010", 52010L)]
    [InlineData("<think>a1+2+0=03\n", null)]
    [InlineData("<think>x</think>", null)]
    [InlineData("<think>x</think>-", null)]
    public void ExtractAnswerReadsTheNumberAfterTheThoughts(string output, long? expected) =>
        Assert.Equal(expected, ArithmeticTask.ExtractAnswer(output));

    [Fact]
    public void QuestionsParseBack()
    {
        var p = new ArithmeticProblem(48213, ArithmeticOperation.Add, 3797);
        Assert.Equal("What is 48213 + 3797?", p.Question);
        Assert.Equal(p, ArithmeticTask.TryParseQuestion(p.Question));
        Assert.Equal(new ArithmeticProblem(372, ArithmeticOperation.Multiply, 6), ArithmeticTask.TryParseQuestion(" What is 372 * 6? "));
        Assert.Null(ArithmeticTask.TryParseQuestion("What is 372 * 16?"));
        Assert.Null(ArithmeticTask.TryParseQuestion("What is 372*6?"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArithmeticTask.Question(new(123456, ArithmeticOperation.Add, 1)));
    }
}
