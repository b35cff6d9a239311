using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Formats;

/// <summary>Decodes encoded rows of any supported <see cref="TensorType"/> to float32.</summary>
public static class RowDecoder
{
    /// <summary>Decodes <paramref name="source"/>, holding exactly <c>values.Length</c> weights of <paramref name="type"/>.</summary>
    /// <exception cref="NotSupportedException">The type has no decoder.</exception>
    public static void Decode(TensorType type, ReadOnlySpan<byte> source, Span<float> values)
    {
        switch (type)
        {
            case TensorType.F32: FloatFormats.DecodeF32(source, values); break;
            case TensorType.F16: FloatFormats.DecodeF16(source, values); break;
            case TensorType.BF16: FloatFormats.DecodeBF16(source, values); break;
            case TensorType.Q8_0: Q8_0Block.Dequantize(source, values); break;
            case TensorType.Q4_0: Q4_0Block.Dequantize(source, values); break;
            case TensorType.Q4_1: Q4_1Block.Dequantize(source, values); break;
            case TensorType.Q4_K: Q4_KBlock.Dequantize(source, values); break;
            case TensorType.Q5_K: Q5_KBlock.Dequantize(source, values); break;
            case TensorType.Q6_K: Q6_KBlock.Dequantize(source, values); break;
            default:
                if (GroupScaledLayout.TryGet(type, out var layout))
                {
                    GroupScaledBlock.Dequantize(layout, source, values);
                    break;
                }
                throw new NotSupportedException($"no decoder for tensor type {TensorTypeInfo.Of(type).Name}");
        }
    }

    /// <summary>Decodes the whole of <paramref name="tensor"/> into a new array, row-major.</summary>
    public static float[] DecodeAll(HostTensor tensor)
    {
        var values = new float[(long)tensor.Rows * tensor.Columns];
        for (int r = 0; r < tensor.Rows; r++)
        {
            Decode(tensor.Type, tensor.Row(r), values.AsSpan(r * tensor.Columns, tensor.Columns));
        }
        return values;
    }
}
