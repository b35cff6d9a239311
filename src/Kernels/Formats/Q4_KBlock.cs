using System.Buffers.Binary;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// ggml's Q4_K super-block of 256 weights: fp16 d and dmin, 12 bytes of 6-bit scales and
/// minimums for eight 32-weight sub-blocks, then 128 bytes of nibbles. Weight = d*sc*q - dmin*m.
/// Each 32-byte run of nibbles holds two sub-blocks: low nibbles the first, high the second.
/// </summary>
public static class Q4_KBlock
{
    /// <summary>Weights per block.</summary>
    public const int Size = 256;

    /// <summary>Bytes per block.</summary>
    public const int Bytes = 2 + 2 + 12 + Size / 2;

    /// <summary>Decodes whole blocks from <paramref name="blocks"/> into <paramref name="values"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> values)
    {
        BlockGeometry.Check(blocks.Length, values.Length, Size, Bytes);
        for (int b = 0; b < values.Length / Size; b++)
        {
            var block = blocks.Slice(b * Bytes, Bytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            float dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var scales = block.Slice(4, 12);
            var quants = block[16..];
            var output = values.Slice(b * Size, Size);
            for (int pair = 0; pair < 4; pair++)
            {
                var (sc1, m1) = KQuantScales.Get(scales, 2 * pair);
                var (sc2, m2) = KQuantScales.Get(scales, 2 * pair + 1);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                var q = quants.Slice(32 * pair, 32);
                for (int l = 0; l < 32; l++)
                {
                    output[64 * pair + l] = d1 * (q[l] & 0xF) - min1;
                    output[64 * pair + 32 + l] = d2 * (q[l] >> 4) - min2;
                }
            }
        }
    }
}
