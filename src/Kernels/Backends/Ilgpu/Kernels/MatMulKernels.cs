using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

/// <summary>Scalars of a matrix product y[r, o] = Σ_i x[r, i]·W[o, i].</summary>
internal struct MatMulArgs
{
    /// <summary>Input rows (tokens).</summary>
    public int Rows;

    /// <summary>Outputs (weight rows).</summary>
    public int Outputs;

    /// <summary>Inputs (weight columns).</summary>
    public int Inputs;

    /// <summary>Threads cooperating on one output in the GEMV kernel (a power of two).</summary>
    public int Lanes;
}

/// <summary>
/// Matrix products over weights in their stored encoding, decoded eight at a time in registers.
/// </summary>
internal static class MatMulKernels
{
    /// <summary>Most threads per group any kernel here is launched with (sizes the shared scratch).</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Outputs per GEMM tile.</summary>
    public const int GemmTileOutputs = 16;

    /// <summary>Inputs per GEMM step: four units of eight, one 32-weight block.</summary>
    public const int GemmTileDepth = 32;

    /// <summary>Rows each GEMM thread accumulates.</summary>
    public const int GemmRowsPerThread = 4;

    private const int Pitch = GemmTileDepth + 1;

    /// <summary>Most rows a GEMM tile holds: 4 per thread row-group, group size / 16 row-groups.</summary>
    public const int GemmMaxTileRows = GemmRowsPerThread * MaxGroupSize / GemmTileOutputs;

    /// <summary>
    /// GEMV (decode, few rows): <c>Lanes</c> threads per output walk the row in units of eight
    /// weights, lane l taking units l, l + Lanes, ... so a warp reads consecutive blocks and
    /// consecutive activations (coalesced); the partial sums meet in a segment reduction.
    /// Grid: x = ceil(outputs / (group / lanes)), y = rows.
    /// </summary>
    public static void Gemv<TWeights, TReduce>(TWeights weights, ArrayView<float> x, ArrayView<float> y, MatMulArgs args)
        where TWeights : struct, IWeights
        where TReduce : struct, IReduction
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroupSize);
        int t = Group.IdxX;
        int lanes = args.Lanes;
        int lane = t & (lanes - 1);
        int output = Grid.IdxX * (Group.DimX / lanes) + t / lanes;
        int row = Grid.IdxY;
        float sum = 0f;
        if (output < args.Outputs)
        {
            int inputs = args.Inputs;
            int units = (inputs + 7) >> 3;
            long xRow = (long)row * inputs;
            for (int unit = lane; unit < units; unit += lanes)
            {
                var w = weights.Unit(output, unit);
                int column = unit << 3;
                long at = xRow + column;
                if (column + 8 <= inputs)
                {
                    sum += w.V0 * x[at] + w.V1 * x[at + 1] + w.V2 * x[at + 2] + w.V3 * x[at + 3]
                        + w.V4 * x[at + 4] + w.V5 * x[at + 5] + w.V6 * x[at + 6] + w.V7 * x[at + 7];
                }
                else
                {
                    int n = inputs - column;
                    sum += w.V0 * x[at];
                    if (n > 1) sum += w.V1 * x[at + 1];
                    if (n > 2) sum += w.V2 * x[at + 2];
                    if (n > 3) sum += w.V3 * x[at + 3];
                    if (n > 4) sum += w.V4 * x[at + 4];
                    if (n > 5) sum += w.V5 * x[at + 5];
                    if (n > 6) sum += w.V6 * x[at + 6];
                }
            }
        }
        sum = default(TReduce).SegmentSum(sum, lanes, scratch);
        if (lane == 0 && output < args.Outputs)
        {
            y[(long)row * args.Outputs + output] = sum;
        }
    }

    /// <summary>
    /// Tiled GEMM (prefill): a group computes 16 outputs × (4 · group/16) rows. Per step of 32
    /// inputs it decodes the 16×32 weight tile once (one unit of eight per thread) into shared
    /// memory and stages the matching activation tile with coalesced loads; each thread then
    /// accumulates one output for four rows in registers. Rows of the padded tiles (pitch 33)
    /// avoid shared-memory bank conflicts. Grid: x = ceil(outputs / 16), y = ceil(rows / tileRows).
    /// </summary>
    public static void Gemm<TWeights>(TWeights weights, ArrayView<float> x, ArrayView<float> y, MatMulArgs args)
        where TWeights : struct, IWeights
    {
        var wTile = SharedMemory.Allocate<float>(GemmTileOutputs * Pitch);
        var xTile = SharedMemory.Allocate<float>(GemmMaxTileRows * Pitch);
        int t = Group.IdxX;
        int groupSize = Group.DimX;
        int column = t & (GemmTileOutputs - 1);
        int rowGroup = t / GemmTileOutputs;
        int rowGroups = groupSize / GemmTileOutputs;
        int tileRows = GemmRowsPerThread * rowGroups;
        int output0 = Grid.IdxX * GemmTileOutputs;
        int row0 = Grid.IdxY * tileRows;
        int inputs = args.Inputs;
        int units = (inputs + 7) >> 3;
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        for (int k0 = 0; k0 < inputs; k0 += GemmTileDepth)
        {
            for (int e = t; e < GemmTileOutputs * 4; e += groupSize)
            {
                int o = e >> 2;
                int q = e & 3;
                int unit = (k0 >> 3) + q;
                int output = output0 + o;
                Float8 w = default;
                if (output < args.Outputs && unit < units)
                {
                    w = weights.Unit(output, unit);
                }
                int at = o * Pitch + q * 8;
                wTile[at] = w.V0; wTile[at + 1] = w.V1; wTile[at + 2] = w.V2; wTile[at + 3] = w.V3;
                wTile[at + 4] = w.V4; wTile[at + 5] = w.V5; wTile[at + 6] = w.V6; wTile[at + 7] = w.V7;
            }
            for (int e = t; e < tileRows * GemmTileDepth; e += groupSize)
            {
                int r = e >> 5;
                int k = e & (GemmTileDepth - 1);
                int row = row0 + r;
                int input = k0 + k;
                xTile[r * Pitch + k] = row < args.Rows && input < inputs ? x[(long)row * inputs + input] : 0f;
            }
            Group.Barrier();
            int wAt = column * Pitch;
            int x0 = rowGroup * Pitch;
            int x1 = (rowGroup + rowGroups) * Pitch;
            int x2 = (rowGroup + 2 * rowGroups) * Pitch;
            int x3 = (rowGroup + 3 * rowGroups) * Pitch;
            for (int k = 0; k < GemmTileDepth; k++)
            {
                float w = wTile[wAt + k];
                a0 += w * xTile[x0 + k];
                a1 += w * xTile[x1 + k];
                a2 += w * xTile[x2 + k];
                a3 += w * xTile[x3 + k];
            }
            Group.Barrier();
        }
        int outputIndex = output0 + column;
        if (outputIndex < args.Outputs)
        {
            int r0 = row0 + rowGroup;
            if (r0 < args.Rows) y[(long)r0 * args.Outputs + outputIndex] = a0;
            int r1 = r0 + rowGroups;
            if (r1 < args.Rows) y[(long)r1 * args.Outputs + outputIndex] = a1;
            int r2 = r1 + rowGroups;
            if (r2 < args.Rows) y[(long)r2 * args.Outputs + outputIndex] = a2;
            int r3 = r2 + rowGroups;
            if (r3 < args.Rows) y[(long)r3 * args.Outputs + outputIndex] = a3;
        }
    }
}
