namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Per-position cos/sin tables for rotary embeddings, computed lazily in float64 from the same
/// formula as the reference (angle = position * theta^(-2i/headDim)) and stored as float32, in the
/// lane layout <see cref="ElementwiseKernels.RopeRow{TV,TO}"/> reads. A table grows by doubling its
/// positions, so a long generation allocates O(log n) times, never per token. Memory: 8 bytes per
/// head dimension per position covered (about 1 MB for head size 64 at 2048 positions).
/// </summary>
internal sealed class RopeTables
{
    private readonly object _sync = new();
    private readonly List<Table> _tables = [];

    internal sealed class Table(int headDim, float theta, RopeStyle style, int positions)
    {
        public int HeadDim { get; } = headDim;
        public float Theta { get; } = theta;
        public RopeStyle Style { get; } = style;
        public int Positions { get; } = positions;
        public float[] Cos { get; } = GC.AllocateUninitializedArray<float>(positions * headDim, pinned: true);
        public float[] Sin { get; } = GC.AllocateUninitializedArray<float>(positions * headDim, pinned: true);
    }

    /// <summary>A table covering positions 0..<paramref name="endPosition"/>-1.</summary>
    public Table Get(int headDim, float theta, RopeStyle style, int endPosition)
    {
        lock (_sync)
        {
            int index = -1;
            for (int i = 0; i < _tables.Count; i++)
            {
                var t = _tables[i];
                if (t.HeadDim == headDim && t.Theta.Equals(theta) && t.Style == style)
                {
                    index = i;
                    break;
                }
            }
            if (index >= 0 && _tables[index].Positions >= endPosition)
            {
                return _tables[index];
            }
            int positions = 64;
            while (positions < endPosition)
            {
                positions = checked(positions * 2);
            }
            var table = Build(headDim, theta, style, positions);
            if (index >= 0)
            {
                _tables[index] = table;
            }
            else
            {
                _tables.Add(table);
            }
            return table;
        }
    }

    private static Table Build(int headDim, float theta, RopeStyle style, int positions)
    {
        var table = new Table(headDim, theta, style, positions);
        int half = headDim / 2;
        var cos = table.Cos;
        var sin = table.Sin;
        for (int p = 0; p < positions; p++)
        {
            int row = p * headDim;
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(theta, -2.0 * i / headDim);
                float c = (float)Math.Cos(angle), s = (float)Math.Sin(angle);
                (int a, int b) = style == RopeStyle.AdjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half);
                cos[row + a] = c;
                cos[row + b] = c;
                sin[row + a] = -s;
                sin[row + b] = s;
            }
            if (headDim % 2 == 1)
            {
                cos[row + headDim - 1] = 1f;
                sin[row + headDim - 1] = 0f;
            }
        }
        return table;
    }
}
