using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends;

/// <summary>
/// A read-only tensor (weight matrix, norm vector, bias or embedding table) placed where its
/// <see cref="IComputeBackend"/> computes, in its stored encoding.
/// </summary>
public interface IDeviceWeight : IDisposable
{
    /// <summary>The encoding of the weights.</summary>
    TensorType Type { get; }

    /// <summary>Rows (output features).</summary>
    int Rows { get; }

    /// <summary>Weights per row (input features).</summary>
    int Columns { get; }
}
