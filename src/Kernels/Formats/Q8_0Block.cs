using System.Buffers.Binary;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// ggml's Q8_0 block: an fp16 scale d followed by 32 signed bytes q; weight i = d * q[i].
/// </summary>
public static class Q8_0Block
{
    /// <summary>Weights per block.</summary>
    public const int Size = 32;

    /// <summary>Bytes per block.</summary>
    public const int Bytes = 2 + Size;

    /// <summary>Decodes whole blocks from <paramref name="blocks"/> into <paramref name="values"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> values)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var block = blocks.Slice(b * Bytes, Bytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var output = values.Slice(b * Size, Size);
            for (int i = 0; i < Size; i++)
            {
                output[i] = d * (sbyte)block[2 + i];
            }
        }
    }
}
