namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Causal grouped-query attention over a KV cache laid out [position, kvHeads * headDim], with an
/// online softmax over tiles of positions (as FlashAttention does): scores of a tile, the running
/// maximum and sum updated once per tile, the output rescaled once per tile. One call computes one
/// query row against one KV head for all the query heads that share it, so each key and value row
/// is loaded once for the whole group. The arithmetic of a (row, KV head) unit depends on nothing
/// else, so the split among threads cannot change a result.
/// </summary>
internal static unsafe class AttentionKernel
{
    /// <summary>Positions per tile of the online softmax.</summary>
    public const int Tile = 64;

    /// <summary>Scratch floats one call needs for <paramref name="group"/> heads of <paramref name="headDim"/>.</summary>
    public static int ScratchFloats(int group, int headDim) => group * (headDim + Tile + 2);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TO>(float* query, float* keys, float* values, float* output, AttentionShape shape,
        int row, int kvHead, float* scratch) where TV : struct where TO : struct, IVec<TV>
    {
        int dim = shape.HeadDim;
        int group = shape.Heads / shape.KvHeads;
        int kvWidth = shape.KvWidth;
        int count = shape.StartPosition + row + 1;
        float scale = shape.Scale;
        float* acc = scratch;                       // [group, dim]
        float* scores = acc + group * dim;          // [group, Tile]
        float* maxima = scores + group * Tile;      // [group]
        float* sums = maxima + group;               // [group]
        float* q0 = query + row * shape.QueryWidth + kvHead * group * dim;
        new Span<float>(acc, group * dim).Clear();
        for (int h = 0; h < group; h++)
        {
            maxima[h] = float.NegativeInfinity;
            sums[h] = 0f;
        }
        for (int t0 = 0; t0 < count; t0 += Tile)
        {
            int n = Math.Min(Tile, count - t0);
            float* k = keys + (long)t0 * kvWidth + kvHead * dim;
            for (int t = 0; t < n; t++, k += kvWidth)
            {
                for (int h = 0; h < group; h++)
                {
                    scores[h * Tile + t] = ElementwiseKernels.Dot<TV, TO>(q0 + h * dim, k, dim) * scale;
                }
            }
            for (int h = 0; h < group; h++)
            {
                float* s = scores + h * Tile;
                float tileMax = ElementwiseKernels.Max<TV, TO>(s, n);
                float newMax = MathF.Max(maxima[h], tileMax);
                float rescale = MathF.Exp(maxima[h] - newMax);
                float tileSum = ElementwiseKernels.ExpShiftSum<TV, TO>(s, n, newMax);
                sums[h] = sums[h] * rescale + tileSum;
                maxima[h] = newMax;
                if (rescale != 1f)
                {
                    ElementwiseKernels.Scale<TV, TO>(acc + h * dim, rescale, dim);
                }
            }
            float* v = values + (long)t0 * kvWidth + kvHead * dim;
            for (int t = 0; t < n; t++, v += kvWidth)
            {
                for (int h = 0; h < group; h++)
                {
                    ElementwiseKernels.Axpy<TV, TO>(acc + h * dim, scores[h * Tile + t], v, dim);
                }
            }
        }
        for (int h = 0; h < group; h++)
        {
            float* o = output + row * shape.QueryWidth + (kvHead * group + h) * dim;
            float inverse = 1f / sums[h];
            float* a = acc + h * dim;
            for (int i = 0; i < dim; i++)
            {
                o[i] = a[i] * inverse;
            }
        }
    }
}
