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

    /// <summary>
    /// The GF(2) affine matrix that makes vgf2p8affineqb shift each byte right by 4 (its high
    /// nibble): one operation instead of a 16-bit shift and a mask. Row 7 − i of the matrix (byte
    /// 7 − i of each qword) selects the input bit of output bit i.
    /// </summary>
    public static Vector512<byte> HighNibbleMatrix => Vector512.Create(0x1020408000000000UL).AsByte();

    /// <summary>
    /// Repacks a tensor of ggml-style blocks (an fp16 scale, then <paramref name="levelBytes"/> bytes
    /// of levels, per 32 weights; row stride <paramref name="rowBytes"/>) into tiles: per tile and
    /// block, <paramref name="levelBytes"/> / 4 vectors whose dword r holds the next 4 level bytes of
    /// row r, each XORed with <paramref name="flip"/>, then the 16 rows' scales. Rows past the end are
    /// zero. The blocks are stored K-panel by K-panel (<see cref="Address"/>).
    /// </summary>
    public static void Repack(byte* source, int rows, int rowBytes, int blocks, byte* packed, int levelBytes, uint flip)
    {
        int tileBlockBytes = Rows * levelBytes + 2 * Rows;
        int tiles = (rows + Rows - 1) / Rows;
        System.Runtime.InteropServices.NativeMemory.Clear(packed, (nuint)PackedBytes(rows, blocks, tileBlockBytes));
        for (int t = 0; t < tiles; t++)
        {
            int valid = Math.Min(Rows, rows - t * Rows);
            for (int r = 0; r < valid; r++)
            {
                byte* row = source + (long)(t * Rows + r) * rowBytes;
                for (int b = 0; b < blocks; b++)
                {
                    byte* block = row + b * (2 + levelBytes);
                    byte* target = Address(packed, tiles, blocks, tileBlockBytes, t, b);
                    for (int m = 0; m < levelBytes / 4; m++)
                    {
                        ((uint*)(target + 64 * m))[r] = Unsafe.ReadUnaligned<uint>(block + 2 + 4 * m) ^ flip;
                    }
                    ((ushort*)(target + Rows * levelBytes))[r] = Unsafe.ReadUnaligned<ushort>(block);
                }
            }
        }
    }

    /// <summary>
    /// Blocks per K-panel. A repacked matrix is stored panel by panel, [panel][tile][block], so that a
    /// decode GEMV sweeps each panel's tiles as one sequential run while the panel's slice of the
    /// activation row (~1.3 KB) stays in L1. Reading the whole 4 KB row once per 36 KB tile instead
    /// ran the 4096x4096 Q4_0 GEMV at 20-21 GB/s on one core, against 24-27 with the activations
    /// confined to 1 KB (alternating in one process); sweeping tiles panel by panel over the tile-major
    /// layout gained only 3-5%, its runs being 9 KB.
    /// </summary>
    public const int PanelBlocks = 32;

    /// <summary>Where block <paramref name="block"/> of tile <paramref name="tile"/> lies: panels of <see cref="PanelBlocks"/> (the last one shorter), each holding every tile's blocks of that panel in turn.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Address(byte* packed, int tiles, int blocks, int tileBlockBytes, int tile, int block)
    {
        int panel = block / PanelBlocks;
        int first = panel * PanelBlocks;
        int count = Math.Min(PanelBlocks, blocks - first);
        return packed + ((long)first * tiles + (long)tile * count + (block - first)) * tileBlockBytes;
    }

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

    /// <summary>
    /// Prefetches the bytes <see cref="PrefetchDistance"/> past the block at <paramref name="block"/>
    /// in the stream the caller reads: this run ends at <paramref name="runEnd"/> and the stream goes
    /// on at <paramref name="next"/> (null: in memory order). Prefetches never fault past the end.
    /// Unrolled for a JIT-constant <paramref name="blockBytes"/> of up to 576: as a loop it was 30 of
    /// a Q4_0 block's 100 instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead(byte* block, int blockBytes, byte* runEnd, byte* next)
    {
        byte* at = block + PrefetchDistance;
        if (at >= runEnd && next != null)
        {
            at = next + (at - runEnd);
        }
        Memory.Prefetch(at);
        if (blockBytes > 64) Memory.Prefetch(at + 64);
        if (blockBytes > 128) Memory.Prefetch(at + 128);
        if (blockBytes > 192) Memory.Prefetch(at + 192);
        if (blockBytes > 256) Memory.Prefetch(at + 256);
        if (blockBytes > 320) Memory.Prefetch(at + 320);
        if (blockBytes > 384) Memory.Prefetch(at + 384);
        if (blockBytes > 448) Memory.Prefetch(at + 448);
        if (blockBytes > 512) Memory.Prefetch(at + 512);
    }

    /// <summary>The accumulators a pass starts from: zero at block 0, else what the previous pass left in <paramref name="carry"/> (16 floats per activation row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Resume<TA>(bool resume, float* carry, out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3,
        out Vector512<float> c4, out Vector512<float> c5, out Vector512<float> c6, out Vector512<float> c7)
        where TA : struct, IConst
    {
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = default;
        if (!resume)
        {
            return;
        }
        c0 = Vector512.Load(carry);
        if (TA.Value > 1) c1 = Vector512.Load(carry + 16);
        if (TA.Value > 2) c2 = Vector512.Load(carry + 32);
        if (TA.Value > 3) c3 = Vector512.Load(carry + 48);
        if (TA.Value > 4) c4 = Vector512.Load(carry + 64);
        if (TA.Value > 5) c5 = Vector512.Load(carry + 80);
        if (TA.Value > 6) c6 = Vector512.Load(carry + 96);
        if (TA.Value > 7) c7 = Vector512.Load(carry + 112);
    }

    /// <summary>Ends a pass: the outputs when it took the last block, else the accumulators into <paramref name="carry"/> (exactly, so a product in passes equals one pass bit for bit).</summary>
    public static void Finish<TA>(bool last, float* carry, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3,
        Vector512<float> c4, Vector512<float> c5, Vector512<float> c6, Vector512<float> c7, float* y, int yStride, int valid)
        where TA : struct, IConst
    {
        if (last)
        {
            Store<TA>(c0, c1, c2, c3, c4, c5, c6, c7, y, yStride, valid);
            return;
        }
        c0.Store(carry);
        if (TA.Value > 1) c1.Store(carry + 16);
        if (TA.Value > 2) c2.Store(carry + 32);
        if (TA.Value > 3) c3.Store(carry + 48);
        if (TA.Value > 4) c4.Store(carry + 64);
        if (TA.Value > 5) c5.Store(carry + 80);
        if (TA.Value > 6) c6.Store(carry + 96);
        if (TA.Value > 7) c7.Store(carry + 112);
    }

    /// <summary>Fills <paramref name="table"/> with the values, scales and block sums of <paramref name="rows"/> quantized activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ActivationTable(byte* act, int actStride, int pairs, int rows, ActivationRow* table)
    {
        for (int a = 0; a < rows; a++)
        {
            byte* row = act + (long)a * actStride;
            table[a] = new ActivationRow((sbyte*)row, QuantizedActivations.Scales(row, pairs), QuantizedActivations.Sums(row, pairs));
        }
    }

    /// <summary>Stores the accumulators of <typeparamref name="TA"/> activation rows, <paramref name="yStride"/> apart.</summary>
    public static void Store<TA>(Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3,
        Vector512<float> c4, Vector512<float> c5, Vector512<float> c6, Vector512<float> c7, float* y, int yStride, int valid)
        where TA : struct, IConst
    {
        Store(c0, y, valid);
        if (TA.Value > 1) Store(c1, y + yStride, valid);
        if (TA.Value > 2) Store(c2, y + 2L * yStride, valid);
        if (TA.Value > 3) Store(c3, y + 3L * yStride, valid);
        if (TA.Value > 4) Store(c4, y + 4L * yStride, valid);
        if (TA.Value > 5) Store(c5, y + 5L * yStride, valid);
        if (TA.Value > 6) Store(c6, y + 6L * yStride, valid);
        if (TA.Value > 7) Store(c7, y + 7L * yStride, valid);
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

/// <summary>One quantized activation row as the tile kernels read it: int8 values Q, block scales S, block sums M.</summary>
internal readonly unsafe struct ActivationRow(sbyte* q, float* s, int* m)
{
    public readonly sbyte* Q = q;
    public readonly float* S = s;
    public readonly int* M = m;
}
