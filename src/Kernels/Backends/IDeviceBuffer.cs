namespace QuantRuntime.Kernels.Backends;

/// <summary>
/// A float32 activation buffer owned by one <see cref="IComputeBackend"/> (host memory for
/// the CPU backends, device memory for ILGPU). Only the backend that allocated it may use it.
/// </summary>
public interface IDeviceBuffer : IDisposable
{
    /// <summary>Number of float32 elements.</summary>
    int Length { get; }
}
