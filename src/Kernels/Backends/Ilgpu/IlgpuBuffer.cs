using ILGPU;
using ILGPU.Runtime;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>A float32 activation buffer in an accelerator's memory.</summary>
internal sealed class IlgpuBuffer : IDeviceBuffer
{
    public IlgpuBuffer(IlgpuBackend owner, MemoryBuffer1D<float, Stride1D.Dense> memory, int length)
    {
        Owner = owner;
        Memory = memory;
        Length = length;
    }

    public IlgpuBackend Owner { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Memory { get; }

    public int Length { get; }

    /// <summary>The whole buffer as a kernel argument.</summary>
    public ArrayView<float> View => Memory.View;

    public void Dispose() => Memory.Dispose();
}
