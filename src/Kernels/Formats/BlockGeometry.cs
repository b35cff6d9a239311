namespace QuantRuntime.Kernels.Formats;

/// <summary>Argument checks shared by the block codecs.</summary>
internal static class BlockGeometry
{
    /// <summary>Throws unless <paramref name="values"/> weights are whole blocks that exactly fill <paramref name="bytes"/>.</summary>
    public static void Check(int bytes, int values, int blockSize, int blockBytes)
    {
        if (values % blockSize != 0 || (long)values / blockSize * blockBytes != bytes)
        {
            throw new ArgumentException(
                $"{values} weights in {bytes} bytes do not form whole blocks of {blockSize} weights in {blockBytes} bytes");
        }
    }
}
