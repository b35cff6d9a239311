using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>What the <see cref="IInterleavedKernel"/> formats share: the tile geometry, output stores and prefetching.</summary>
internal static unsafe class InterleavedTile
{
    /// <summary>Weight rows per tile: one float32 lane each in a 512-bit accumulator.</summary>
    public const int Rows = 16;

    /// <summary>Activation rows one tile call takes at most: the levels of a block are unpacked once for all of them.</summary>
    public const int MaxActivationRows = 8;

    /// <summary>Bytes of a repacked tensor of <paramref name="rows"/> rows of <paramref name="blocks"/> blocks.</summary>
    public static long PackedBytes(int rows, int blocks, int tileBlockBytes) => (long)((rows + Rows - 1) / Rows) * blocks * tileBlockBytes;

    /// <summary>
    /// How far ahead of the block being computed <see cref="PrefetchAhead"/> fetches. Tiles lie one
    /// after another, so a thread's share of a matrix is one stream; a fixed distance keeps about
    /// 6 KB in flight (DRAM latency × a core's bandwidth, with room) whatever the tile's size. Fetching
    /// a whole tile ahead instead (18-100 KB at K = 2048-5632) overran L1 for Q8_0 and large K:
    /// 0-8% slower decode GEMV on Q4_0 and up to 20% on Q8_0 at 2 threads, alternating in one process.
    /// </summary>
    public const int PrefetchDistance = 6144;

    /// <summary>Prefetches the bytes <see cref="PrefetchDistance"/> past the block at <paramref name="block"/> (prefetches never fault past the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead(byte* block, int blockBytes)
    {
        for (int i = 0; i < blockBytes; i += 64)
        {
            Memory.Prefetch(block + PrefetchDistance + i);
        }
    }

    /// <summary>Stores the first <paramref name="valid"/> lanes of <paramref name="c"/> at <paramref name="y"/>.</summary>
    [SkipLocalsInit] // the lanes are stored before they are read
    public static void Store(Vector512<float> c, float* y, int valid)
    {
        if (valid == Rows)
        {
            c.Store(y);
            return;
        }
        float* lanes = stackalloc float[Rows];
        c.Store(lanes);
        for (int r = 0; r < valid; r++)
        {
            y[r] = lanes[r];
        }
    }
}
