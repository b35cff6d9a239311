using System.Buffers.Binary;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// ggml's Q4_1 block: fp16 scale d, fp16 minimum m, then 16 bytes of nibbles laid out as in
/// <see cref="Q4_0Block"/>; weight = d * q + m.
/// </summary>
public static class Q4_1Block
{
    /// <summary>Weights per block.</summary>
    public const int Size = 32;

    /// <summary>Bytes per block.</summary>
    public const int Bytes = 4 + Size / 2;

    /// <summary>Decodes whole blocks from <paramref name="blocks"/> into <paramref name="values"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> values)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var block = blocks.Slice(b * Bytes, Bytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            float m = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var output = values.Slice(b * Size, Size);
            for (int j = 0; j < Size / 2; j++)
            {
                byte packed = block[4 + j];
                output[j] = d * (packed & 0x0F) + m;
                output[j + Size / 2] = d * (packed >> 4) + m;
            }
        }
    }

    /// <summary>
    /// Encodes whole blocks exactly as ggml's <c>quantize_row_q4_1_ref</c>: m = min,
    /// d = (max − min) / 15, q = min(15, trunc((x − m)/d + 0.5)), with float32 arithmetic.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> blocks)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var x = values.Slice(b * Size, Size);
            var block = blocks.Slice(b * Bytes, Bytes);
            float min = float.MaxValue, max = -float.MaxValue;
            foreach (float v in x)
            {
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            BinaryPrimitives.WriteHalfLittleEndian(block[2..], (Half)min);
            for (int j = 0; j < Size / 2; j++)
            {
                int low = Q4_0Block.Nibble((x[j] - min) * id + 0.5f);
                int high = Q4_0Block.Nibble((x[j + Size / 2] - min) * id + 0.5f);
                block[4 + j] = (byte)(low | (high << 4));
            }
        }
    }
}
