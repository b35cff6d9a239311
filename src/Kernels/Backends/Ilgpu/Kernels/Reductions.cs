using System.Runtime.CompilerServices;
using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

/// <summary>
/// Cooperative reductions inside a thread group. Two implementations exist because not every
/// accelerator has warp shuffles (PoCL has no sub-groups); the backend picks one per accelerator
/// from its reported capabilities when it loads a kernel. Every thread of the group must call
/// these (they contain barriers); the group size must be a power of two.
/// </summary>
internal interface IReduction
{
    /// <summary>
    /// Sums <paramref name="value"/> over aligned segments of <paramref name="lanes"/> consecutive
    /// threads (a power of two no larger than the segment width the plan allows); the total is
    /// valid in the first thread of each segment.
    /// </summary>
    float SegmentSum(float value, int lanes, ArrayView<float> scratch);

    /// <summary>The sum of <paramref name="value"/> over the whole group, returned to every thread.</summary>
    float GroupSum(float value, ArrayView<float> scratch);

    /// <summary>The maximum of <paramref name="value"/> over the whole group, returned to every thread.</summary>
    float GroupMax(float value, ArrayView<float> scratch);
}

/// <summary>
/// Warp shuffles (CUDA, ILGPU's CPU accelerator): butterfly sums inside a warp, then one
/// shared-memory exchange of the per-warp results. Needs group size / warp size ≤ warp size and
/// segments no wider than a warp.
/// </summary>
internal readonly struct WarpReduction : IReduction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float SegmentSum(float value, int lanes, ArrayView<float> scratch)
    {
        for (int mask = lanes >> 1; mask > 0; mask >>= 1)
        {
            value += Warp.ShuffleXor(value, mask);
        }
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float GroupSum(float value, ArrayView<float> scratch)
    {
        for (int mask = Warp.WarpSize >> 1; mask > 0; mask >>= 1)
        {
            value += Warp.ShuffleXor(value, mask);
        }
        int warps = Group.DimX / Warp.WarpSize;
        if (warps == 1)
        {
            return value;
        }
        if (Warp.LaneIdx == 0)
        {
            scratch[Warp.WarpIdx] = value;
        }
        Group.Barrier();
        float partial = Warp.LaneIdx < warps ? scratch[Warp.LaneIdx] : 0f;
        Group.Barrier();
        for (int mask = Warp.WarpSize >> 1; mask > 0; mask >>= 1)
        {
            partial += Warp.ShuffleXor(partial, mask);
        }
        return partial;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float GroupMax(float value, ArrayView<float> scratch)
    {
        for (int mask = Warp.WarpSize >> 1; mask > 0; mask >>= 1)
        {
            value = MathF.Max(value, Warp.ShuffleXor(value, mask));
        }
        int warps = Group.DimX / Warp.WarpSize;
        if (warps == 1)
        {
            return value;
        }
        if (Warp.LaneIdx == 0)
        {
            scratch[Warp.WarpIdx] = value;
        }
        Group.Barrier();
        float partial = Warp.LaneIdx < warps ? scratch[Warp.LaneIdx] : float.NegativeInfinity;
        Group.Barrier();
        for (int mask = Warp.WarpSize >> 1; mask > 0; mask >>= 1)
        {
            partial = MathF.Max(partial, Warp.ShuffleXor(partial, mask));
        }
        return partial;
    }
}

/// <summary>
/// Shared-memory tree reductions with barriers only: for accelerators without sub-groups
/// (PoCL, and any OpenCL device). Needs scratch for one float per thread.
/// </summary>
internal readonly struct TreeReduction : IReduction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float SegmentSum(float value, int lanes, ArrayView<float> scratch)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int stride = lanes >> 1; stride > 0; stride >>= 1)
        {
            if ((t & (lanes - 1)) < stride)
            {
                scratch[t] += scratch[t + stride];
            }
            Group.Barrier();
        }
        float total = scratch[t];
        Group.Barrier();
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float GroupSum(float value, ArrayView<float> scratch)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int stride = Group.DimX >> 1; stride > 0; stride >>= 1)
        {
            if (t < stride)
            {
                scratch[t] += scratch[t + stride];
            }
            Group.Barrier();
        }
        float total = scratch[0];
        Group.Barrier();
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float GroupMax(float value, ArrayView<float> scratch)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int stride = Group.DimX >> 1; stride > 0; stride >>= 1)
        {
            if (t < stride)
            {
                scratch[t] = MathF.Max(scratch[t], scratch[t + stride]);
            }
            Group.Barrier();
        }
        float total = scratch[0];
        Group.Barrier();
        return total;
    }
}
