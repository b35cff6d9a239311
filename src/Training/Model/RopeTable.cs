namespace QuantRuntime.Training.Model;

/// <summary>
/// Rotary position embedding over adjacent pairs (GGUF "llama" style, as the engine's
/// <c>RopeStyle.AdjacentPairs</c>): pair i of a head at position p turns by p·θ^(−2i/d). The
/// cosines and sines are computed in double once and stored as float.
/// </summary>
internal sealed class RopeTable
{
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly int _half;

    public RopeTable(int positions, int headDim, float theta)
    {
        _half = headDim / 2;
        HeadDim = headDim;
        Positions = positions;
        _cos = new float[positions * _half];
        _sin = new float[positions * _half];
        for (int p = 0; p < positions; p++)
        {
            for (int i = 0; i < _half; i++)
            {
                double angle = p * Math.Pow(theta, -2.0 * i / headDim);
                _cos[p * _half + i] = (float)Math.Cos(angle);
                _sin[p * _half + i] = (float)Math.Sin(angle);
            }
        }
    }

    public int HeadDim { get; }

    public int Positions { get; }

    /// <summary>Rotates every head of every row in place; <paramref name="inverse"/> turns the other way (the gradient of the rotation).</summary>
    public void Apply(Span<float> x, ReadOnlySpan<int> positions, int heads, bool inverse)
    {
        int width = heads * HeadDim;
        for (int r = 0; r < positions.Length; r++)
        {
            int p = positions[r];
            if ((uint)p >= (uint)Positions)
            {
                throw new ArgumentOutOfRangeException(nameof(positions), p, $"position beyond the RoPE table of {Positions}");
            }
            var cos = _cos.AsSpan(p * _half, _half);
            var sin = _sin.AsSpan(p * _half, _half);
            var row = x.Slice(r * width, width);
            for (int h = 0; h < heads; h++)
            {
                var head = row.Slice(h * HeadDim, HeadDim);
                for (int i = 0; i < _half; i++)
                {
                    float c = cos[i], s = inverse ? -sin[i] : sin[i];
                    float x0 = head[2 * i], x1 = head[2 * i + 1];
                    head[2 * i] = x0 * c - x1 * s;
                    head[2 * i + 1] = x0 * s + x1 * c;
                }
            }
        }
    }
}
