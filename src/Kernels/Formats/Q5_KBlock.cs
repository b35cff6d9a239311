using System.Buffers.Binary;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// ggml's Q5_K super-block of 256 weights: as <see cref="Q4_KBlock"/> with a fifth bit per weight
/// in 32 bytes of high bits (bit 2k of byte l for the low-nibble sub-block of pair k, bit 2k+1
/// for the high-nibble one). Weight = d*sc*q - dmin*m, q in 0..31.
/// </summary>
public static class Q5_KBlock
{
    /// <summary>Weights per block.</summary>
    public const int Size = 256;

    /// <summary>Bytes per block.</summary>
    public const int Bytes = 2 + 2 + 12 + Size / 8 + Size / 2;

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
            var high = block.Slice(16, 32);
            var low = block[48..];
            var output = values.Slice(b * Size, Size);
            for (int pair = 0; pair < 4; pair++)
            {
                var (sc1, m1) = KQuantScales.Get(scales, 2 * pair);
                var (sc2, m2) = KQuantScales.Get(scales, 2 * pair + 1);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                int bit1 = 1 << (2 * pair), bit2 = bit1 << 1;
                var q = low.Slice(32 * pair, 32);
                for (int l = 0; l < 32; l++)
                {
                    output[64 * pair + l] = d1 * ((q[l] & 0xF) + ((high[l] & bit1) != 0 ? 16 : 0)) - min1;
                    output[64 * pair + 32 + l] = d2 * ((q[l] >> 4) + ((high[l] & bit2) != 0 ? 16 : 0)) - min2;
                }
            }
        }
    }
}
