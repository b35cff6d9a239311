using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// Encodes float32 rows into a storage <see cref="TensorType"/> with the reference encoders:
/// round-to-nearest, byte-identical to ggml for Q8_0, Q4_0 and Q4_1.
/// </summary>
public static class RowEncoder
{
    /// <summary>Whether <paramref name="type"/> has an encoder.</summary>
    public static bool CanEncode(TensorType type) =>
        type is TensorType.F32 or TensorType.F16 or TensorType.BF16 or TensorType.Q8_0 or TensorType.Q4_0 or TensorType.Q4_1
        || GroupScaledLayout.TryGet(type, out _);

    /// <summary>Encodes <paramref name="values"/> into <paramref name="destination"/>, which must hold exactly their encoding.</summary>
    /// <exception cref="NotSupportedException">The type has no encoder.</exception>
    public static void Encode(TensorType type, ReadOnlySpan<float> values, Span<byte> destination)
    {
        switch (type)
        {
            case TensorType.F32: System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(destination); break;
            case TensorType.F16: FloatFormats.EncodeF16(values, destination); break;
            case TensorType.BF16: FloatFormats.EncodeBF16(values, destination); break;
            case TensorType.Q8_0: Q8_0Block.Quantize(values, destination); break;
            case TensorType.Q4_0: Q4_0Block.Quantize(values, destination); break;
            case TensorType.Q4_1: Q4_1Block.Quantize(values, destination); break;
            default:
                if (GroupScaledLayout.TryGet(type, out var layout))
                {
                    GroupScaledBlock.QuantizeRoundToNearest(layout, values, destination);
                    break;
                }
                throw new NotSupportedException($"no encoder for tensor type {TensorTypeInfo.Of(type).Name}");
        }
    }

    /// <summary>Re-encodes every row of <paramref name="tensor"/> as <paramref name="type"/> into a new tensor.</summary>
    public static HostTensor Convert(HostTensor tensor, TensorType type)
    {
        if (tensor.Type == type)
        {
            return tensor;
        }
        var info = TensorTypeInfo.Of(type);
        int rowBytes = checked((int)info.ByteCount(tensor.Columns));
        var bytes = new byte[checked((long)rowBytes * tensor.Rows)];
        var row = new float[tensor.Columns];
        for (int r = 0; r < tensor.Rows; r++)
        {
            RowDecoder.Decode(tensor.Type, tensor.Row(r), row);
            Encode(type, row, bytes.AsSpan(r * rowBytes, rowBytes));
        }
        return new HostTensor(type, tensor.Rows, tensor.Columns, bytes);
    }
}
