using System.Buffers.Binary;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// ggml's Q4_0 block: an fp16 scale d followed by 16 bytes of nibbles. Byte j holds weight j
/// in its low nibble and weight j + 16 in its high nibble; weight = d * (q - 8).
/// </summary>
public static class Q4_0Block
{
    /// <summary>Weights per block.</summary>
    public const int Size = 32;

    /// <summary>Bytes per block.</summary>
    public const int Bytes = 2 + Size / 2;

    /// <summary>Decodes whole blocks from <paramref name="blocks"/> into <paramref name="values"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> values)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var block = blocks.Slice(b * Bytes, Bytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var output = values.Slice(b * Size, Size);
            for (int j = 0; j < Size / 2; j++)
            {
                byte packed = block[2 + j];
                output[j] = d * ((packed & 0x0F) - 8);
                output[j + Size / 2] = d * ((packed >> 4) - 8);
            }
        }
    }
}
