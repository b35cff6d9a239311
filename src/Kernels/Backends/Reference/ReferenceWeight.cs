using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Reference;

/// <summary>A weight of the reference backend: the host tensor itself, decoded when used.</summary>
internal sealed class ReferenceWeight(HostTensor tensor) : IDeviceWeight
{
    public HostTensor Tensor { get; } = tensor;

    public TensorType Type => Tensor.Type;

    public int Rows => Tensor.Rows;

    public int Columns => Tensor.Columns;

    public void Dispose()
    {
    }
}
