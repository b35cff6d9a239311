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

    /// <summary>
    /// Four dot products of rows <paramref name="q"/> + i·<paramref name="qStride"/> (i &lt; 4) with
    /// <paramref name="k"/>, written to <paramref name="output"/>[i·<paramref name="outputStride"/>].
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Dot4<TV, TO>(float* q, int qStride, float* k, int dim, float* output, int outputStride)
        where TV : struct where TO : struct, IVec<TV>
    {
        TV a0 = TO.Zero, a1 = TO.Zero, a2 = TO.Zero, a3 = TO.Zero;
        int i = 0;
        for (; i <= dim - TO.Count; i += TO.Count)
        {
            var kv = TO.Load(k + i);
            a0 = TO.Fma(TO.Load(q + i), kv, a0);
            a1 = TO.Fma(TO.Load(q + qStride + i), kv, a1);
            a2 = TO.Fma(TO.Load(q + 2 * qStride + i), kv, a2);
            a3 = TO.Fma(TO.Load(q + 3 * qStride + i), kv, a3);
        }
        float* sums = stackalloc float[4];
        TO.Sum4(a0, a1, a2, a3, sums);
        for (; i < dim; i++)
        {
            sums[0] += q[i] * k[i];
            sums[1] += q[qStride + i] * k[i];
            sums[2] += q[2 * qStride + i] * k[i];
            sums[3] += q[3 * qStride + i] * k[i];
        }
        output[0] = sums[0];
        output[outputStride] = sums[1];
        output[2 * outputStride] = sums[2];
        output[3 * outputStride] = sums[3];
    }

    /// <summary>
    /// acc += Σ_t p[t] · v_t over <paramref name="n"/> value rows, keeping four vectors of the
    /// accumulator in registers across the positions (one load and one FMA per value vector).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AccumulateValues<TV, TO>(float* acc, float* p, float* v, int kvWidth, int n, int dim)
        where TV : struct where TO : struct, IVec<TV>
    {
        int i = 0;
        for (; i <= dim - 4 * TO.Count; i += 4 * TO.Count)
        {
            TV a0 = TO.Load(acc + i), a1 = TO.Load(acc + i + TO.Count), a2 = TO.Load(acc + i + 2 * TO.Count), a3 = TO.Load(acc + i + 3 * TO.Count);
            float* vt = v + i;
            for (int t = 0; t < n; t++, vt += kvWidth)
            {
                var pt = TO.Splat(p[t]);
                a0 = TO.Fma(pt, TO.Load(vt), a0);
                a1 = TO.Fma(pt, TO.Load(vt + TO.Count), a1);
                a2 = TO.Fma(pt, TO.Load(vt + 2 * TO.Count), a2);
                a3 = TO.Fma(pt, TO.Load(vt + 3 * TO.Count), a3);
            }
            TO.Store(acc + i, a0);
            TO.Store(acc + i + TO.Count, a1);
            TO.Store(acc + i + 2 * TO.Count, a2);
            TO.Store(acc + i + 3 * TO.Count, a3);
        }
        for (; i <= dim - TO.Count; i += TO.Count)
        {
            var a0 = TO.Load(acc + i);
            float* vt = v + i;
            for (int t = 0; t < n; t++, vt += kvWidth)
            {
                a0 = TO.Fma(TO.Splat(p[t]), TO.Load(vt), a0);
            }
            TO.Store(acc + i, a0);
        }
        for (; i < dim; i++)
        {
            float a = acc[i];
            float* vt = v + i;
            for (int t = 0; t < n; t++, vt += kvWidth)
            {
                a += p[t] * *vt;
            }
            acc[i] = a;
        }
    }

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
                // Four heads at a time: the key row is loaded once per four dot products and their
                // horizontal sums share one reduction tree.
                int h = 0;
                for (; h + 4 <= group; h += 4)
                {
                    Dot4<TV, TO>(q0 + h * dim, dim, k, dim, scores + h * Tile + t, Tile);
                }
                for (; h < group; h++)
                {
                    scores[h * Tile + t] = ElementwiseKernels.Dot<TV, TO>(q0 + h * dim, k, dim);
                }
                for (h = 0; h < group; h++)
                {
                    scores[h * Tile + t] *= scale;
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
            for (int h = 0; h < group; h++)
            {
                AccumulateValues<TV, TO>(acc + h * dim, scores + h * Tile, v, kvWidth, n, dim);
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
