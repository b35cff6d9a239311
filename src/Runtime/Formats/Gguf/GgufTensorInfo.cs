using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// A tensor's entry in a GGUF header. <see cref="Dimensions"/> are in ggml order: the first
/// is the innermost (a weight matrix [out, in] has dimensions {in, out}).
/// </summary>
/// <param name="Name">Unique tensor name, such as <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Dimensions">Sizes, innermost first (1 to 4 of them).</param>
/// <param name="Type">Encoding of the elements.</param>
/// <param name="Offset">Byte offset of the data from the start of the data section.</param>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dimensions, TensorType Type, ulong Offset)
{
    /// <summary>Total number of elements.</summary>
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Bytes of encoded data.</summary>
    public long ByteCount => TensorTypeInfo.Of(Type).ByteCount(ElementCount);

    /// <summary>Elements per row (the innermost dimension).</summary>
    public long Columns => Dimensions[0];

    /// <summary>Rows: the product of every dimension but the first.</summary>
    public long Rows => ElementCount / Dimensions[0];
}
