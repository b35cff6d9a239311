namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// Overrides of the kernel variants the backend would choose from the accelerator's capabilities.
/// A variant can only be turned off (the fallback always works where the faster one does), so
/// tests can run every fallback on an accelerator that supports the fast path.
/// </summary>
public sealed record IlgpuBackendOptions
{
    /// <summary>Use shared-memory tree reductions even where warp shuffles are available.</summary>
    public bool DisableWarpShuffles { get; init; }

    /// <summary>Decode fp16 with integer operations even where the device converts fp16 natively.</summary>
    public bool DisableNativeHalf { get; init; }

    /// <summary>Compute RoPE angles in float32 even where the device has float64.</summary>
    public bool DisableFloat64 { get; init; }

    /// <summary>Threads per group (a power of two, at least 16, at most 256 and the device's limit); 0 chooses.</summary>
    public int GroupSize { get; init; }
}
