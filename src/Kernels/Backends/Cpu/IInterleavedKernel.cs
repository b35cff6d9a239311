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
    /// One pass over blocks [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>)
    /// of one tile, which lie one after another from <paramref name="run"/> (within one K-panel),
    /// against <typeparamref name="TA"/> (1 to 8) quantized activation rows. A pass that does not
    /// start at block 0 resumes from <paramref name="carry"/>; one that does not end at the last of
    /// <paramref name="blocks"/> leaves its accumulators there; the pass that does stores
    /// y[a * yStride + r] for r &lt; <paramref name="valid"/>. It prefetches the stream ahead, which
    /// goes on at <paramref name="next"/> after this run (see <see cref="InterleavedTile.PrefetchAhead"/>).
    /// </summary>
    static abstract void Tile<TA>(byte* run, int blocks, int first, int count, byte* act, int actStride, int pairs,
        float* carry, byte* next, float* y, int yStride, int valid) where TA : struct, IConst;
}
