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

    /// <summary>Every device this machine offers, usable or not, and notes on kinds with none visible.</summary>
    public static (IReadOnlyList<DeviceEntry> Devices, IReadOnlyList<string> Notes) Describe()
    {
        var devices = new List<DeviceEntry>
        {
            new("cpu", "SIMD CPU backend", $"{Environment.ProcessorCount} threads by default, kernels: {CpuKernelLevels.Best}", null),
            new("reference", "scalar reference backend", "the executable specification: float64 sums, slow", null),
        };
        var listing = IlgpuDevices.Describe();
        foreach (var d in listing.Devices)
        {
            string device = d.Kind switch
            {
                IlgpuDeviceKind.Cuda => "cuda",
                IlgpuDeviceKind.OpenCL => "opencl",
                _ => "ilgpu-cpu",
            };
            devices.Add(new DeviceEntry(device, d.Name, d.Details, d.SkipReason));
        }
        return (devices, listing.Notes);
    }
}
