using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using static QuantRuntime.Tests.Kernels.Cpu.CpuTestData;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="CpuBackend.MatMul"/> against the reference on odd shapes: output rows that are not a
/// multiple of any tile (4) or chunk (16/32), K = 172 (stories260K's hidden size) and 96 for float
/// weights, K with an odd number of 32-blocks for block types, K ≈ 4096, batches of 1, 3, 6 and 17,
/// 1 to 3 threads, every kernel level this machine can run.
/// </summary>
public sealed class CpuMatMulTests
{
    public static TheoryData<CpuKernelLevel> AllLevels => LevelData();

    private static readonly TensorType[] FloatTypes = [TensorType.F32, TensorType.F16, TensorType.BF16];
    private static readonly TensorType[] BlockTypes = [TensorType.Q4_0, TensorType.Q4_1, TensorType.Q8_0];
    private static readonly TensorType[] DecodedTypes = [TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K];

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void FloatWeights_MatchReference(CpuKernelLevel level)
    {
        foreach (var type in FloatTypes)
        {
            foreach (var (n, k) in new[] { (13, 172), (37, 96), (7, 4100), (5, 8) })
            {
                foreach (int rows in new[] { 1, 3, 17 })
                {
                    CheckFloat(level, type, n, k, rows, threads: 1 + (n + rows) % 3);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void KQuantWeights_MatchReference(CpuKernelLevel level)
    {
        foreach (var type in DecodedTypes)
        {
            foreach (int rows in new[] { 1, 3, 17 })
            {
                CheckFloat(level, type, 11, 512, rows, threads: 1 + rows % 3);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void BlockWeights_MatchReference(CpuKernelLevel level)
    {
        foreach (var type in BlockTypes)
        {
            foreach (var (n, k) in new[] { (13, 96), (37, 160), (6, 4096), (9, 4128), (3, 32), (21, 64) })
            {
                // 1 and 3 rows decode; 6 and 17 (8 + 8 + 1) batch, through every activation-row count of the batched kernels.
                foreach (int rows in new[] { 1, 3, 6, 17 })
                {
                    CheckQuantized(level, type, n, k, rows, threads: 1 + (n + rows) % 3);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void GroupScaledWeights_MatchReference(CpuKernelLevel level)
    {
        foreach (var layout in GroupScaledLayout.All)
        {
            int k = 2 * 256 + layout.GroupSize; // an odd number of groups for every group size
            CheckFloatOrQuantized(level, layout.Type, 7, k, 3, threads: 2);
            CheckFloatOrQuantized(level, layout.Type, 5, k, 1, threads: 3);
        }
    }

    /// <summary>F16 infinities and NaN propagate as in the reference (the fast widening takes an exact detour for them).</summary>
    [Theory]
    [MemberData(nameof(AllLevels))]
    public void F16Infinities_AndNaN_PropagateLikeTheReference(CpuKernelLevel level)
    {
        const int n = 9, k = 96;
        var tensor = Weights(TensorType.F16, n, k, seed: 3);
        var bytes = tensor.Data.ToArray();
        void Put(int row, int column, Half value) =>
            System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan((row * k + column) * 2), value);
        Put(1, 5, Half.PositiveInfinity);
        Put(2, 40, Half.NegativeInfinity);
        Put(3, 70, Half.NaN);
        Put(5, 95, Half.PositiveInfinity);
        tensor = new HostTensor(TensorType.F16, n, k, bytes);
        var x = Activations(3 * k, seed: 4);
        using var cpu = new CpuBackend(2, level);
        var actual = MatMul(cpu, tensor, x, 3);
        var expected = MatMul(new ReferenceBackend(), tensor, x, 3);
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(expected[i]) || float.IsInfinity(expected[i]))
            {
                Assert.True(expected[i].Equals(actual[i]), $"{level} y[{i}] = {actual[i]}, reference {expected[i]}");
            }
            else
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{level} y[{i}] = {actual[i]}, reference {expected[i]}");
            }
        }
    }

    private static void CheckFloatOrQuantized(CpuKernelLevel level, TensorType type, int n, int k, int rows, int threads)
    {
        if (CpuBackend.QuantizesActivations(type))
        {
            CheckQuantized(level, type, n, k, rows, threads);
        }
        else
        {
            CheckFloat(level, type, n, k, rows, threads);
        }
    }

    /// <summary>
    /// Float weights (and K-quants decoded to float): the CPU backend accumulates in float32, the
    /// reference in float64 over the same decoded weights. The worst case of a float32 sum of k
    /// products, whatever the order, is about k·u·Σ|w x| (u = 2^-24); the tolerance is that bound
    /// (with slack for the final rounding), far looser than the typical error but never wrong.
    /// </summary>
    private static void CheckFloat(CpuKernelLevel level, TensorType type, int n, int k, int rows, int threads)
    {
        var tensor = Weights(type, n, k, seed: n * 1000 + k + (int)type);
        var x = Activations(rows * k, seed: rows + k);
        using var cpu = new CpuBackend(threads, level);
        var actual = MatMul(cpu, tensor, x, rows);
        var expected = MatMul(new ReferenceBackend(), tensor, x, rows);
        var w = RowDecoder.DecodeAll(tensor);
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < n; o++)
            {
                double magnitude = 0;
                for (int i = 0; i < k; i++)
                {
                    magnitude += Math.Abs((double)w[o * k + i] * x[r * k + i]);
                }
                double tolerance = (k + 4) * U * magnitude + 1e-30;
                double error = Math.Abs(actual[r * n + o] - expected[r * n + o]);
                Assert.True(error <= tolerance,
                    $"{level} {type} {n}x{k} rows {rows} threads {threads}: y[{r},{o}] = {actual[r * n + o]}, reference {expected[r * n + o]}, error {error:E3} > {tolerance:E3}");
            }
        }
    }

    /// <summary>
    /// Block weights meet activations quantized to int8 per block of 32 as llama.cpp does (q =
    /// round(x·127/max|x|), scale d = max|x|/127 rounded to fp16), so each activation is off by at
    /// most d/2 from rounding q plus 127·2^-11·d from the fp16 scale (plus 1e-4·d of float32 slack).
    /// Against the reference the tolerance is Σ|w_i|·d_b(i)·(1/2 + 127·2^-11 + 1e-4) plus a float32
    /// accumulation bound. A second, much tighter check replays the integer path exactly: with the
    /// backend's own int8 activations x̂ = d·q, the result must equal Σ w_i x̂_i up to float32
    /// rounding of the per-block scales and sums alone.
    /// </summary>
    private static void CheckQuantized(CpuKernelLevel level, TensorType type, int n, int k, int rows, int threads)
    {
        var tensor = Weights(type, n, k, seed: n * 1000 + k + (int)type);
        var x = Activations(rows * k, seed: rows + k + 1);
        using var cpu = new CpuBackend(threads, level);
        var actual = MatMul(cpu, tensor, x, rows);
        var expected = MatMul(new ReferenceBackend(), tensor, x, rows);
        var w = RowDecoder.DecodeAll(tensor);
        var xq = QuantizedExactly(x, k);
        int blocks = k / 32;
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < n; o++)
            {
                double quantization = 0, magnitude = 0, exact = 0, exactMagnitude = 0;
                for (int i = 0; i < k; i++)
                {
                    double wi = w[o * k + i];
                    double d = BlockScale(x, r * k + i);
                    quantization += Math.Abs(wi) * d * (0.5 + 127.0 / 2048 + 1e-4);
                    magnitude += Math.Abs(wi) * (Math.Abs(x[r * k + i]) + d);
                    exact += wi * xq[r * k + i];
                    exactMagnitude += Math.Abs(wi * xq[r * k + i]);
                }
                double y = actual[r * n + o];
                double tolerance = quantization + (blocks + 40) * 2 * U * magnitude + 1e-30;
                double error = Math.Abs(y - expected[r * n + o]);
                Assert.True(error <= tolerance,
                    $"{level} {type} {n}x{k} rows {rows} threads {threads}: y[{r},{o}] = {y}, reference {expected[r * n + o]}, error {error:E3} > {tolerance:E3}");
                double tight = (blocks + 40) * 2 * U * exactMagnitude + 1e-30;
                double exactError = Math.Abs(y - exact);
                Assert.True(exactError <= tight,
                    $"{level} {type} {n}x{k} rows {rows}: y[{r},{o}] = {y}, exact int8 replay {exact}, error {exactError:E3} > {tight:E3}");
            }
        }
    }

    /// <summary>The scale d = max|x|/127 of the block of 32 holding element <paramref name="index"/>.</summary>
    private static double BlockScale(float[] x, int index)
    {
        int start = index / 32 * 32;
        float amax = 0;
        for (int i = start; i < start + 32; i++)
        {
            amax = MathF.Max(amax, MathF.Abs(x[i]));
        }
        return amax / 127f;
    }

    /// <summary>x̂ = d·q as the backend (and llama.cpp) quantizes: d = fp16(max|x|/127), q = round-half-even(x·127/max|x|); in float64.</summary>
    private static double[] QuantizedExactly(float[] x, int k)
    {
        var result = new double[x.Length];
        for (int start = 0; start < x.Length; start += 32)
        {
            float amax = 0;
            for (int i = start; i < start + 32; i++)
            {
                amax = MathF.Max(amax, MathF.Abs(x[i]));
            }
            float d = (float)(Half)(amax / 127f);
            float id = amax != 0 ? 127f / amax : 0f;
            for (int i = start; i < start + 32; i++)
            {
                result[i] = (double)d * MathF.Round(x[i] * id);
            }
        }
        return result;
    }
}
