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
}
