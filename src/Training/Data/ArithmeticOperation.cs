namespace QuantRuntime.Training.Data;

/// <summary>The operations of the arithmetic task.</summary>
public enum ArithmeticOperation
{
    /// <summary><c>a + b</c>.</summary>
    Add,

    /// <summary><c>a - b</c> (negative when b is larger).</summary>
    Subtract,

    /// <summary><c>a * b</c>, b a single digit.</summary>
    Multiply,
}
