namespace QuantRuntime.Training.Model;

/// <summary>Where one tensor lives in the flat parameter array.</summary>
/// <param name="Name">GGUF name (<c>blk.0.attn_q.weight</c>).</param>
/// <param name="Offset">Index of its first element.</param>
/// <param name="Rows">Rows (output features; 1 for a vector).</param>
/// <param name="Columns">Columns (input features).</param>
public sealed record TensorSlot(string Name, int Offset, int Rows, int Columns)
{
    /// <summary>Number of elements.</summary>
    public int Length => Rows * Columns;

    /// <summary>Whether this is a weight matrix (weight decay applies) rather than a norm gain.</summary>
    public bool IsMatrix => Rows > 1;
}
