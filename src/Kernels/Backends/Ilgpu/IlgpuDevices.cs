using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>One accelerator ILGPU can see, and whether the backend can run on it.</summary>
/// <param name="Kind">The accelerator kind.</param>
/// <param name="Name">The device's own name.</param>
/// <param name="Ordinal">Its number among the usable devices of its kind (what <c>IlgpuBackend.Create</c> takes); null when skipped.</param>
/// <param name="Details">Memory, compute units, versions and the features the kernels use.</param>
/// <param name="SkipReason">Why the backend cannot use it; null when usable.</param>
public sealed record IlgpuDeviceInfo(IlgpuDeviceKind Kind, string Name, int? Ordinal, string Details, string? SkipReason)
{
    /// <summary>Whether the backend can run on the device.</summary>
    public bool Usable => SkipReason is null;
}

/// <summary>Everything ILGPU sees, plus notes on device kinds with nothing visible.</summary>
/// <param name="Devices">Every device found, usable or skipped.</param>
/// <param name="Notes">One line per kind with no device, saying what would make one visible.</param>
public sealed record IlgpuDeviceListing(IReadOnlyList<IlgpuDeviceInfo> Devices, IReadOnlyList<string> Notes);

/// <summary>Discovers ILGPU accelerators and opens one for <see cref="IlgpuBackend"/>.</summary>
public static class IlgpuDevices
{
    static IlgpuDevices() => IlgpuNativeLibraries.EnsureRegistered();

    /// <summary>Lists the CUDA, OpenCL and CPU-emulator devices ILGPU sees and why any is skipped (for <c>quant info --devices</c>).</summary>
    public static IlgpuDeviceListing Describe()
    {
        var devices = new List<IlgpuDeviceInfo>();
        var notes = new List<string>();
        DescribeCuda(devices, notes);
        DescribeOpenCL(devices, notes);
        var cpu = CPUDevice.Default;
        devices.Add(new IlgpuDeviceInfo(IlgpuDeviceKind.Cpu, "ILGPU CPU accelerator", 0,
            $"GPU emulator for tests: warp {cpu.WarpSize}, {cpu.MaxNumThreadsPerGroup} threads per group; far slower than the CPU backend", null));
        return new IlgpuDeviceListing(devices, notes);
    }

    /// <summary>Whether a usable device of <paramref name="kind"/> exists (enumerates that kind only).</summary>
    public static bool IsAvailable(IlgpuDeviceKind kind)
    {
        if (kind == IlgpuDeviceKind.Cpu)
        {
            return true;
        }
        var devices = new List<IlgpuDeviceInfo>();
        var notes = new List<string>();
        if (kind == IlgpuDeviceKind.Cuda)
        {
            DescribeCuda(devices, notes);
        }
        else
        {
            DescribeOpenCL(devices, notes);
        }
        return devices.Any(d => d.Usable);
    }

    private static void DescribeCuda(List<IlgpuDeviceInfo> devices, List<string> notes)
    {
        using var context = Context.Create(b => b.Cuda(_ => true));
        int ordinal = 0;
        foreach (var device in context.GetCudaDevices())
        {
            string? skip = CudaSkipReason(device);
            devices.Add(new IlgpuDeviceInfo(IlgpuDeviceKind.Cuda, device.Name, skip is null ? ordinal++ : null, CudaDetails(device), skip));
        }
        if (context.GetCudaDevices().Count == 0)
        {
            notes.Add("cuda: no device visible (needs an NVIDIA GPU and its driver's libcuda)");
        }
    }

    private static void DescribeOpenCL(List<IlgpuDeviceInfo> devices, List<string> notes)
    {
        using var context = Context.Create(b => b.OpenCL(_ => true));
        int ordinal = 0;
        foreach (var device in context.GetCLDevices())
        {
            string? skip = OpenCLSkipReason(device);
            devices.Add(new IlgpuDeviceInfo(IlgpuDeviceKind.OpenCL, device.Name, skip is null ? ordinal++ : null, OpenCLDetails(device), skip));
        }
        if (context.GetCLDevices().Count == 0)
        {
            notes.Add("opencl: no device visible (needs an OpenCL driver, e.g. pocl-opencl-icd, and the loader libOpenCL.so from ocl-icd-opencl-dev)");
        }
    }

    /// <summary>Opens the <paramref name="ordinal"/>-th usable device of <paramref name="kind"/> in a new context.</summary>
    internal static (Context Context, Accelerator Accelerator, bool Pocl) Open(IlgpuDeviceKind kind, int ordinal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        Context? context = null;
        try
        {
            switch (kind)
            {
                case IlgpuDeviceKind.Cpu:
                    // Parallel mode measured 2-10x faster than sequential on barrier-heavy kernels.
                    context = Context.Create(b => b.CPU(CPUDevice.Default).EnableAlgorithms());
                    return (context, context.GetDevice<CPUDevice>(0).CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel), false);
                case IlgpuDeviceKind.Cuda:
                {
                    context = Context.Create(b => b.Cuda(_ => true).EnableAlgorithms());
                    var device = Usable(context.GetCudaDevices(), d => CudaSkipReason(d) is null, ordinal)
                        ?? throw new InvalidOperationException($"no usable CUDA device #{ordinal} ({Summary(IlgpuDeviceKind.Cuda)})");
                    return (context, device.CreateCudaAccelerator(context), false);
                }
                case IlgpuDeviceKind.OpenCL:
                {
                    context = Context.Create(b => b.OpenCL(_ => true).EnableAlgorithms());
                    var device = Usable(context.GetCLDevices(), d => OpenCLSkipReason(d) is null, ordinal)
                        ?? throw new InvalidOperationException($"no usable OpenCL device #{ordinal} ({Summary(IlgpuDeviceKind.OpenCL)})");
                    bool pocl = PoclCompatibility.Applies(device);
                    if (pocl)
                    {
                        PoclCompatibility.Enable(device);
                    }
                    return (context, device.CreateCLAccelerator(context), pocl);
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind));
            }
        }
        catch
        {
            context?.Dispose();
            throw;
        }
    }

    private static T? Usable<T>(Context.DeviceCollection<T> devices, Func<T, bool> usable, int ordinal) where T : Device
    {
        foreach (var device in devices)
        {
            if (usable(device) && ordinal-- == 0)
            {
                return device;
            }
        }
        return null;
    }

    private static string Summary(IlgpuDeviceKind kind)
    {
        var listing = Describe();
        var of = listing.Devices.Where(d => d.Kind == kind).Select(d => d.Usable ? d.Name : $"{d.Name}: skipped, {d.SkipReason}").ToList();
        return of.Count > 0 ? string.Join("; ", of) : string.Join("; ", listing.Notes.Where(n => n.StartsWith(kind.ToString(), StringComparison.OrdinalIgnoreCase)));
    }

    private static string? CudaSkipReason(CudaDevice device) =>
        device.Architecture is null || device.InstructionSet is null
            ? "ILGPU 1.5.3 does not know this compute capability or the driver's PTX version"
            : null;

    private static string CudaDetails(CudaDevice device) =>
        $"{device.Architecture?.ToString() ?? "unknown arch"}, {device.MemorySize / (1 << 20)} MiB, {device.NumMultiprocessors} SMs, warp {device.WarpSize}, "
        + $"{device.MaxNumThreadsPerGroup} threads/group; warp-shuffle reductions, native fp16, fp64 RoPE";

    /// <summary>
    /// ILGPU's OpenCL accelerator requires the generic address space; a PoCL CPU device lacks it
    /// and is accepted through <see cref="PoclCompatibility"/>; any other device without it is skipped.
    /// </summary>
    private static string? OpenCLSkipReason(CLDevice device)
    {
        if (device.Capabilities.GenericAddressSpace)
        {
            return null;
        }
        if (PoclCompatibility.Applies(device))
        {
            return PoclCompatibility.Unavailable is { } reason ? $"PoCL workaround unavailable: {reason}" : null;
        }
        return $"reports OpenCL C {device.CVersion.Major}.{device.CVersion.Minor} without the generic address space, which ILGPU 1.5.3 requires";
    }

    private static string OpenCLDetails(CLDevice device)
    {
        var caps = device.Capabilities;
        string pocl = PoclCompatibility.Applies(device) ? "; PoCL CPU device, generic pointers compiled as global (PoclCompatibility)" : "";
        return $"{device.PlatformName}, {device.DeviceType}, OpenCL {device.DeviceVersion}, OpenCL C {device.CVersion.Major}.{device.CVersion.Minor}, {device.MemorySize / (1 << 20)} MiB, "
            + $"{device.NumMultiprocessors} compute units, {device.MaxNumThreadsPerGroup} threads/group; tree reductions, "
            + $"{(caps.Float16 ? "native" : "integer-decoded")} fp16, {(caps.Float64 ? "fp64" : "fp32")} RoPE{pocl}";
    }
}
