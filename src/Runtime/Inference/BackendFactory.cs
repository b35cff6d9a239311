using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Backends.Ilgpu;
using QuantRuntime.Kernels.Backends.Reference;

namespace QuantRuntime.Inference;

/// <summary>Creates the compute backend for a <see cref="ComputeDevice"/>.</summary>
public static class BackendFactory
{
    /// <summary>Creates a backend for <paramref name="device"/>.</summary>
    /// <param name="device">The device asked for.</param>
    /// <param name="threads">Worker threads for CPU backends; 0 for one per core.</param>
    public static IComputeBackend Create(ComputeDevice device, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        return device switch
        {
            ComputeDevice.Auto => IlgpuDevices.IsAvailable(IlgpuDeviceKind.Cuda) ? IlgpuBackend.Create(IlgpuDeviceKind.Cuda) : new CpuBackend(threads),
            ComputeDevice.Cpu => new CpuBackend(threads),
            ComputeDevice.Reference => new ReferenceBackend(),
            ComputeDevice.Cuda => IlgpuBackend.Create(IlgpuDeviceKind.Cuda),
            ComputeDevice.OpenCL => IlgpuBackend.Create(IlgpuDeviceKind.OpenCL),
            ComputeDevice.IlgpuCpu => IlgpuBackend.Create(IlgpuDeviceKind.Cpu),
            _ => throw new ArgumentOutOfRangeException(nameof(device), $"unknown device {device}"),
        };
    }
}
