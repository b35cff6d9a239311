using System.Globalization;

namespace QuantRuntime.Training.Data;

/// <summary>One question of the arithmetic task: <c>What is A op B?</c>.</summary>
/// <param name="A">The left operand (non-negative).</param>
/// <param name="Operation">The operation.</param>
/// <param name="B">The right operand (non-negative; a single digit for multiplication).</param>
public readonly record struct ArithmeticProblem(long A, ArithmeticOperation Operation, long B)
{
    /// <summary>The exact answer.</summary>
    public long Answer => Operation switch
    {
        ArithmeticOperation.Add => A + B,
        ArithmeticOperation.Subtract => A - B,
        ArithmeticOperation.Multiply => A * B,
        _ => throw new InvalidOperationException($"unknown operation {Operation}"),
    };

    /// <summary>The operator as written in questions: <c>+</c>, <c>-</c> or <c>*</c>.</summary>
    public char Symbol => ArithmeticTask.SymbolOf(Operation);

    /// <summary>The question text, e.g. <c>What is 48213 + 3797?</c>.</summary>
    public string Question => ArithmeticTask.Question(this);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{A} {Symbol} {B}");
}
