using QuantRuntime.Kernels.Backends.Ilgpu;

namespace QuantRuntime.Tests.Kernels.Ilgpu;

/// <summary>All ILGPU tests share accelerators (kernels compile once per process) and run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IlgpuCollection
{
    public const string Name = "ILGPU";
}

/// <summary>
/// The accelerators the ILGPU tests run on, opened once per test process:
/// <list type="bullet">
/// <item><c>cpu</c>: ILGPU's CPU accelerator with the variants it supports (warp shuffles, native fp16, fp64 RoPE).</item>
/// <item><c>cpu-fallback</c>: the same accelerator forced onto every fallback (tree reductions,
/// integer-decoded fp16, fp32 RoPE) — the paths PoCL and fp16-less GPUs take.</item>
/// <item><c>opencl</c>: the first usable OpenCL device (PoCL in CI), when one is visible.</item>
/// </list>
/// </summary>
public static class IlgpuTestDevices
{
    private static readonly Lazy<IlgpuBackend> CpuBackend = new(() => IlgpuBackend.Create(IlgpuDeviceKind.Cpu));

    private static readonly Lazy<IlgpuBackend> CpuFallbackBackend = new(() => IlgpuBackend.Create(IlgpuDeviceKind.Cpu, options: new IlgpuBackendOptions
    {
        DisableWarpShuffles = true,
        DisableNativeHalf = true,
        DisableFloat64 = true,
    }));

    private static readonly Lazy<IlgpuDeviceInfo?> OpenClDevice = new(() =>
        IlgpuDevices.Describe().Devices.FirstOrDefault(d => d.Kind == IlgpuDeviceKind.OpenCL && d.Usable));

    private static readonly Lazy<IlgpuBackend> OpenClBackend = new(() => OpenClSkipReason is { } reason
        ? throw new InvalidOperationException(reason)
        : IlgpuBackend.Create(IlgpuDeviceKind.OpenCL));

    /// <summary>
    /// Set QUANTRUNTIME_REQUIRE_OPENCL=1 (CI does, after installing PoCL) to make a missing OpenCL
    /// device fail the OpenCL tests instead of skipping them.
    /// </summary>
    public static bool OpenClRequired => Environment.GetEnvironmentVariable("QUANTRUNTIME_REQUIRE_OPENCL") == "1";

    /// <summary>Why OpenCL tests do not run here, or null when they do.</summary>
    public static string? OpenClSkipReason
    {
        get
        {
            if (OpenClDevice.Value is not null)
            {
                return null;
            }
            var listing = IlgpuDevices.Describe();
            var skipped = listing.Devices.Where(d => d.Kind == IlgpuDeviceKind.OpenCL).Select(d => $"{d.Name}: {d.SkipReason}");
            return "no usable OpenCL device: " + string.Join("; ", skipped.Concat(listing.Notes.Where(n => n.StartsWith("opencl"))))
                + " (CI installs PoCL: apt-get install pocl-opencl-icd ocl-icd-opencl-dev)";
        }
    }

    /// <summary>Device names for theories: the CPU accelerator twice, and OpenCL when visible.</summary>
    public static IEnumerable<string> Names =>
        OpenClDevice.Value is null && !OpenClRequired ? ["cpu", "cpu-fallback"] : ["cpu", "cpu-fallback", "opencl"];

    /// <summary>The backend for a name from <see cref="Names"/>.</summary>
    public static IlgpuBackend Get(string name) => name switch
    {
        "cpu" => CpuBackend.Value,
        "cpu-fallback" => CpuFallbackBackend.Value,
        "opencl" => OpenClBackend.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}

/// <summary>A fact that runs only where an OpenCL device is usable, skipped with the reason elsewhere.</summary>
public sealed class OpenClFactAttribute : FactAttribute
{
    public OpenClFactAttribute()
    {
        if (IlgpuTestDevices.OpenClSkipReason is { } reason && !IlgpuTestDevices.OpenClRequired)
        {
            Skip = reason;
        }
    }

    /// <summary>Also skip (with the reason) when the shared fixtures are absent.</summary>
    public bool NeedsSharedFixtures
    {
        get => _needsShared;
        init
        {
            _needsShared = value;
            if (value && Skip is null && !Support.RepositoryPaths.HasShared)
            {
                Skip = $"shared fixtures not found at {Support.RepositoryPaths.Shared} (only present on the project's machines and CI)";
            }
        }
    }

    private readonly bool _needsShared;
}
