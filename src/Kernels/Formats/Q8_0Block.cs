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

    /// <summary>
    /// Encodes whole blocks exactly as ggml's <c>quantize_row_q8_0_ref</c>: d = amax / 127 in
    /// float32, q = round-half-away(x / d) with the float32 reciprocal, d stored as fp16.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> blocks)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var x = values.Slice(b * Size, Size);
            var block = blocks.Slice(b * Bytes, Bytes);
            float amax = 0;
            foreach (float v in x)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (int i = 0; i < Size; i++)
            {
                block[2 + i] = (byte)(sbyte)MathF.Round(x[i] * id, MidpointRounding.AwayFromZero);
            }
        }
    }
}
