using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;
using QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// The kernel variants and launch shapes for one accelerator, decided once from what the
/// accelerator reports (type, warp size, group limit, fp16 and fp64 support): never by trying a
/// compilation and catching the failure.
/// </summary>
/// <param name="Kind">The accelerator kind.</param>
/// <param name="GroupSize">Threads per group for every kernel (power of two, 16..256).</param>
/// <param name="WarpSize">Threads per warp as the accelerator reports it.</param>
/// <param name="WarpShuffles">Reductions use warp shuffles (else shared-memory trees).</param>
/// <param name="NativeHalf">fp16 scales and weights are widened by the device's conversion (else by integer operations).</param>
/// <param name="Float64">RoPE angles are computed in float64 (else float32).</param>
/// <param name="GemvLanes">Threads cooperating on one GEMV output.</param>
/// <param name="PatchForPocl">Kernels go through <see cref="PoclCompatibility.Patch"/> before loading.</param>
internal sealed record KernelPlan(
    IlgpuDeviceKind Kind, int GroupSize, int WarpSize, bool WarpShuffles, bool NativeHalf, bool Float64, int GemvLanes, bool PatchForPocl)
{
    /// <summary>The plan for <paramref name="accelerator"/>.</summary>
    public static KernelPlan For(Accelerator accelerator, IlgpuBackendOptions options, bool patchForPocl)
    {
        var kind = accelerator.AcceleratorType switch
        {
            AcceleratorType.Cuda => IlgpuDeviceKind.Cuda,
            AcceleratorType.OpenCL => IlgpuDeviceKind.OpenCL,
            _ => IlgpuDeviceKind.Cpu,
        };
        int limit = Math.Min(MatMulKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup);
        int groupSize = options.GroupSize > 0 ? options.GroupSize : FloorPowerOfTwo(limit);
        if (groupSize < 16 || groupSize > limit || (groupSize & (groupSize - 1)) != 0)
        {
            throw new NotSupportedException(
                $"group size {groupSize} is not a power of two between 16 and {limit} ({accelerator.Name} allows {accelerator.MaxNumThreadsPerGroup} threads per group)");
        }
        int warp = accelerator.WarpSize;
        // Warp shuffles: CUDA always has them; ILGPU's CPU accelerator emulates them. OpenCL
        // devices use trees: PoCL has no sub-groups, and ILGPU lowers OpenCL shuffles through
        // vendor sub-group extensions we cannot test, so every OpenCL device takes the path
        // that needs only barriers and local memory.
        bool shuffles = kind != IlgpuDeviceKind.OpenCL
            && warp > 1 && (warp & (warp - 1)) == 0
            && groupSize % warp == 0 && groupSize / warp <= warp
            && !options.DisableWarpShuffles;
        // fp16: PTX converts natively on every architecture ILGPU targets and the CPU accelerator
        // runs .NET's conversion; OpenCL only with cl_khr_fp16 (PoCL has none).
        bool nativeHalf = !options.DisableNativeHalf && kind switch
        {
            IlgpuDeviceKind.OpenCL => accelerator.Capabilities is CLCapabilityContext cl && cl.Float16,
            _ => true,
        };
        bool float64 = !options.DisableFloat64 && kind switch
        {
            IlgpuDeviceKind.OpenCL => accelerator.Capabilities is CLCapabilityContext cl && cl.Float64,
            _ => true,
        };
        // GEMV: a warp per output where shuffles reduce it, else 32 threads through the tree.
        int lanes = shuffles ? warp : Math.Min(groupSize, 32);
        return new KernelPlan(kind, groupSize, warp, shuffles, nativeHalf, float64, lanes, patchForPocl);
    }

    /// <summary>The plan the backend would use on a CUDA device (PTX code generation without a GPU).</summary>
    public static KernelPlan Cuda { get; } = new(IlgpuDeviceKind.Cuda, 256, 32, true, true, true, 32, false);

    /// <summary>Rows a GEMM tile covers with this group size.</summary>
    public int GemmTileRows => MatMulKernels.GemmRowsPerThread * GroupSize / MatMulKernels.GemmTileOutputs;

    private static int FloorPowerOfTwo(int value)
    {
        int p = 1;
        while (p * 2 <= value)
        {
            p *= 2;
        }
        return p;
    }
}
