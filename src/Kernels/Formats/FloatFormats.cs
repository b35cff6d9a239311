using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace QuantRuntime.Kernels.Formats;

/// <summary>Decoding of the unquantized storage types F32, F16 and BF16 (little-endian).</summary>
public static class FloatFormats
{
    /// <summary>Copies little-endian binary32 values.</summary>
    public static void DecodeF32(ReadOnlySpan<byte> source, Span<float> values)
    {
        BlockGeometry.Check(source.Length, values.Length, 1, 4);
        MemoryMarshal.Cast<byte, float>(source).CopyTo(values);
    }

    /// <summary>Widens little-endian binary16 values.</summary>
    public static void DecodeF16(ReadOnlySpan<byte> source, Span<float> values)
    {
        BlockGeometry.Check(source.Length, values.Length, 1, 2);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
        }
    }

    /// <summary>Widens little-endian bfloat16 values (exact: bf16 is binary32's upper half).</summary>
    public static void DecodeBF16(ReadOnlySpan<byte> source, Span<float> values)
    {
        BlockGeometry.Check(source.Length, values.Length, 1, 2);
        for (int i = 0; i < values.Length; i++)
        {
            uint bits = (uint)BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16;
            values[i] = BitConverter.UInt32BitsToSingle(bits);
        }
    }

    /// <summary>Narrows to little-endian binary16, rounding to nearest even as ggml does.</summary>
    public static void EncodeF16(ReadOnlySpan<float> values, Span<byte> destination)
    {
        BlockGeometry.Check(destination.Length, values.Length, 1, 2);
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], (Half)values[i]);
        }
    }

    /// <summary>Narrows to little-endian bfloat16, rounding to nearest even (NaN stays NaN) as ggml does.</summary>
    public static void EncodeBF16(ReadOnlySpan<float> values, Span<byte> destination)
    {
        BlockGeometry.Check(destination.Length, values.Length, 1, 2);
        for (int i = 0; i < values.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            ushort bf16 = (bits & 0x7FFFFFFF) > 0x7F800000
                ? (ushort)((bits >> 16) | 64)
                : (ushort)((bits + (0x7FFF + ((bits >> 16) & 1))) >> 16);
            BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], bf16);
        }
    }
}
