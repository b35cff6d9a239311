namespace QuantRuntime.Kernels.Backends;

/// <summary>
/// Geometry of one causal grouped-query attention call over a KV cache laid out as
/// [position, kvHeads * headDim]. Query row r sits at position <c>StartPosition + r</c> and
/// attends to cache positions 0 through its own.
/// </summary>
/// <param name="Rows">Query rows (tokens) in this call.</param>
/// <param name="StartPosition">Position of the first query row.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads; each serves <c>Heads / KvHeads</c> query heads.</param>
/// <param name="HeadDim">Dimensions per head.</param>
public readonly record struct AttentionShape(int Rows, int StartPosition, int Heads, int KvHeads, int HeadDim)
{
    /// <summary>Width of a query row.</summary>
    public int QueryWidth => Heads * HeadDim;

    /// <summary>Width of a key or value row in the cache.</summary>
    public int KvWidth => KvHeads * HeadDim;

    /// <summary>The softmax temperature 1/sqrt(headDim).</summary>
    public float Scale => 1f / MathF.Sqrt(HeadDim);

    /// <summary>Throws unless the shape is self-consistent.</summary>
    public void Validate()
    {
        if (Rows <= 0 || StartPosition < 0 || Heads <= 0 || KvHeads <= 0 || HeadDim <= 0 || Heads % KvHeads != 0)
        {
            throw new ArgumentException($"invalid attention shape {this}");
        }
    }
}
