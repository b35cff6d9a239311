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

    /// <summary>
    /// Encodes whole blocks exactly as ggml's <c>quantize_row_q4_0_ref</c>: d = max / −8 where max
    /// is the value of largest magnitude (so it lands on level −8 exactly), q = min(15, trunc(x/d + 8.5)).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> blocks)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var x = values.Slice(b * Size, Size);
            var block = blocks.Slice(b * Bytes, Bytes);
            float amax = 0, max = 0;
            foreach (float v in x)
            {
                if (amax < MathF.Abs(v))
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int j = 0; j < Size / 2; j++)
            {
                block[2 + j] = (byte)(Nibble(x[j] * id + 8.5f) | (Nibble(x[j + Size / 2] * id + 8.5f) << 4));
            }
        }
    }

    /// <summary>ggml's <c>MIN(15, (int8_t)v)</c>: truncation toward zero, then a cap (v is never negative here).</summary>
    internal static int Nibble(float v) => Math.Min(15, (int)(sbyte)(int)v);
}
