using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

/// <summary>Scalars of one causal grouped-query attention call.</summary>
internal struct AttentionArgs
{
    public int StartPosition;
    public int Heads;
    public int HeadDim;
    /// <summary>Query heads per key/value head.</summary>
    public int Group;
    public int QueryWidth;
    public int KvWidth;
    public float Scale;
}

/// <summary>
/// Causal grouped-query attention over the KV cache, decode (one row) and prefill (many rows,
/// each masked at its own position) alike.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>Largest head size the shared-memory buffers hold.</summary>
    public const int MaxHeadDim = 256;

    /// <summary>
    /// One group per (head, query row): positions 0..last are visited in chunks of one position
    /// per thread. Each chunk's scores are reduced to a running maximum and denominator (online
    /// softmax, so no score array of context length is needed), and the chunk's weighted values
    /// are accumulated with threads spread over the head dimensions, reading cache rows
    /// coalesced. Grid: x = heads, y = rows.
    /// </summary>
    public static void Attention<TReduce>(
        ArrayView<float> query, ArrayView<float> keys, ArrayView<float> values, ArrayView<float> output, AttentionArgs args)
        where TReduce : struct, IReduction
    {
        var scratch = SharedMemory.Allocate<float>(MatMulKernels.MaxGroupSize);
        var weights = SharedMemory.Allocate<float>(MatMulKernels.MaxGroupSize);
        var q = SharedMemory.Allocate<float>(MaxHeadDim);
        var accumulator = SharedMemory.Allocate<float>(MaxHeadDim);
        var reduce = default(TReduce);
        int t = Group.IdxX;
        int groupSize = Group.DimX;
        int head = Grid.IdxX;
        int row = Grid.IdxY;
        int dim = args.HeadDim;
        int last = args.StartPosition + row;
        long queryAt = (long)row * args.QueryWidth + (long)head * dim;
        int kvOffset = head / args.Group * dim;
        for (int d = t; d < dim; d += groupSize)
        {
            q[d] = query[queryAt + d];
            accumulator[d] = 0f;
        }
        Group.Barrier();
        float runningMax = float.NegativeInfinity;
        float denominator = 0f;
        for (int chunk = 0; chunk <= last; chunk += groupSize)
        {
            int position = chunk + t;
            float score = float.NegativeInfinity;
            if (position <= last)
            {
                long keyAt = (long)position * args.KvWidth + kvOffset;
                float dot = 0f;
                for (int d = 0; d < dim; d++)
                {
                    dot += q[d] * keys[keyAt + d];
                }
                score = dot * args.Scale;
            }
            float newMax = MathF.Max(runningMax, reduce.GroupMax(score, scratch));
            float weight = position <= last ? MathF.Exp(score - newMax) : 0f;
            weights[t] = weight;
            float chunkSum = reduce.GroupSum(weight, scratch);
            Group.Barrier();
            float correction = MathF.Exp(runningMax - newMax);
            denominator = denominator * correction + chunkSum;
            runningMax = newMax;
            int count = Math.Min(groupSize, last + 1 - chunk);
            for (int d = t; d < dim; d += groupSize)
            {
                float sum = accumulator[d] * correction;
                long valueAt = (long)chunk * args.KvWidth + kvOffset + d;
                for (int j = 0; j < count; j++)
                {
                    sum += weights[j] * values[valueAt + (long)j * args.KvWidth];
                }
                accumulator[d] = sum;
            }
            Group.Barrier();
        }
        float inverse = 1f / denominator;
        for (int d = t; d < dim; d += groupSize)
        {
            output[queryAt + d] = accumulator[d] * inverse;
        }
    }
}
