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

    /// <summary>Bytes prefetched per block so that the next tile is in flight by the time this one ends.</summary>
    public static int PrefetchStep(int prefetchBytes, int blocks) => (prefetchBytes / Math.Max(1, blocks) + 63) & ~63;

    /// <summary>Prefetches the next <paramref name="step"/> bytes of the region [prefetch, end) and advances.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(ref byte* prefetch, byte* end, int step)
    {
        // A tile's blocks lie one after another, but a decode GEMV moves on to the next tile every few
        // microseconds: too soon for the hardware prefetchers to have picked up the new stream.
        if (prefetch < end)
        {
            for (int i = 0; i < step; i += 64)
            {
                Memory.Prefetch(prefetch + i);
            }
            prefetch += step;
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
