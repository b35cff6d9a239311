using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.SafeTensors;

/// <summary>One entry of a safetensors header: a tensor's dtype, shape and byte range in the data section.</summary>
/// <param name="Name">The tensor name (a header key).</param>
/// <param name="DType">The safetensors dtype name (<c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>...).</param>
/// <param name="Shape">Dimensions, outermost first (PyTorch order); empty for a scalar.</param>
/// <param name="Begin">Offset of the first byte, relative to the data section.</param>
/// <param name="End">Offset one past the last byte, relative to the data section.</param>
public sealed record SafeTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Bytes the tensor occupies.</summary>
    public long ByteCount => End - Begin;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The runtime tensor type for <see cref="DType"/> (F32, F16, BF16), or null when the runtime cannot compute with it.</summary>
    public TensorType? TensorType => SafeTensorsDTypes.ToTensorType(DType);

    /// <summary>The shape written as <c>[4096, 4096]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
