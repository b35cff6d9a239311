namespace QuantRuntime.Kernels.Formats;

/// <summary>The 6-bit sub-block scales and minimums packed into 12 bytes by Q4_K and Q5_K.</summary>
internal static class KQuantScales
{
    /// <summary>Scale and minimum of sub-block <paramref name="j"/> (0..7).</summary>
    public static (int Scale, int Min) Get(ReadOnlySpan<byte> packed, int j)
    {
        if (j < 4)
        {
            return (packed[j] & 63, packed[j + 4] & 63);
        }
        // Sub-blocks 4..7 keep their low 4 bits in bytes 8..11 and their high 2 bits in the top of bytes 0..7.
        return ((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4), (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
    }
}
