namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// A weight format repacked on AVX-512 into tiles of <see cref="InterleavedTile.Rows"/> weight rows
/// side by side in each 512-bit vector (<see cref="Q4_0Interleaved"/>, <see cref="Q8_0Interleaved{TV}"/>).
/// The backend drives every such kernel the same way: one tile after another, up to
/// <see cref="InterleavedTile.MaxActivationRows"/> activation rows per call. Members are JIT-time
/// constants or statically bound calls, so the driver costs nothing per format.
/// </summary>
internal unsafe interface IInterleavedKernel
{
    /// <summary>Bytes of one 32-weight block of a tile (the source format's block bytes × 16).</summary>
    static abstract int TileBlockBytes { get; }

    /// <summary>
    /// One tile (<paramref name="tile"/>: its first block) against <typeparamref name="TA"/> (1 to 8)
    /// quantized activation rows: y[a * yStride + r] for r &lt; <paramref name="valid"/>. It prefetches
    /// the stream ahead (<see cref="InterleavedTile.PrefetchAhead"/>).
    /// </summary>
    static abstract void Tile<TA>(byte* tile, int blocks, byte* act, int actStride, int pairs, float* y, int yStride, int valid)
        where TA : struct, IConst;
}
