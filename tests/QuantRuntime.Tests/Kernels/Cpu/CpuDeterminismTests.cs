using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Tensors;
using static QuantRuntime.Tests.Kernels.Cpu.CpuTestData;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>
/// Results are bit-identical for 1, 2 and 3 threads (work is split by output rows or attention
/// units in shape-determined chunks, each output computed by one thread in a fixed order), and a
/// row of a batched MatMul equals the same row computed alone (prefill and decode agree).
/// </summary>
public sealed class CpuDeterminismTests
{
    public static TheoryData<CpuKernelLevel> AllLevels => LevelData();

    private static readonly TensorType[] Types =
        [TensorType.Q4_0, TensorType.Q4_1, TensorType.Q8_0, TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q6_K, TensorType.Int4G128, TensorType.Int8G64Asym, TensorType.Int8G32Asym, TensorType.Int4G256Asym];

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void EveryOperator_IsBitIdenticalFor1To3Threads(CpuKernelLevel level)
    {
        var single = Forward(level, 1);
        Assert.Equal(single, Forward(level, 2));
        Assert.Equal(single, Forward(level, 3));
    }

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void BatchedMatMulRow_EqualsSingleRowMatMul(CpuKernelLevel level)
    {
        // K = 512 and 4352 (136 blocks, a multiple of 256 for the K-quant and large-group types: the
        // size of a 7B model's rows, where decode kernels are tuned apart from batched ones).
        foreach (var type in Types)
        {
            foreach (int k in new[] { 512, 4352 })
            {
                const int n = 45, rows = 17;
                var tensor = Weights(type, n, k, seed: 11);
                var x = Activations(rows * k, seed: 12);
                using var cpu = new CpuBackend(2, level);
                var batched = MatMul(cpu, tensor, x, rows);
                for (int r = 0; r < rows; r++)
                {
                    var alone = MatMul(cpu, tensor, x[(r * k)..((r + 1) * k)], 1);
                    Assert.Equal(batched[(r * n)..((r + 1) * n)], alone);
                }
            }
        }
    }

    /// <summary>A miniature forward pass touching every operator; returns everything it produced.</summary>
    private static float[] Forward(CpuKernelLevel level, int threads)
    {
        using var cpu = new CpuBackend(threads, level);
        var outputs = new List<float>();
        const int k = 256, n = 203, rows = 17;
        foreach (var type in Types)
        {
            var tensor = Weights(type, n, k, seed: 5);
            outputs.AddRange(MatMul(cpu, tensor, Activations(rows * k, seed: 6), rows));
            outputs.AddRange(MatMul(cpu, tensor, Activations(k, seed: 7), 1));
        }
        var shape = new AttentionShape(rows, 9, 8, 2, 32);
        int positions = shape.StartPosition + rows;
        outputs.AddRange(Run(cpu, rows * shape.QueryWidth,
            [Activations(rows * shape.QueryWidth, 1), Activations(positions * shape.KvWidth, 2), Activations(positions * shape.KvWidth, 3)],
            (inputs, output) => cpu.Attention(inputs[0], inputs[1], inputs[2], output, shape)));
        var gain = HostTensor.FromFloats(1, 4096, Activations(4096, 4));
        using var g = cpu.Upload(gain);
        outputs.AddRange(Run(cpu, 17 * 4096, [Activations(17 * 4096, 5)], (inputs, output) =>
        {
            cpu.RmsNorm(inputs[0], g, output, 17, 1e-5f);
            cpu.Rope(output, 17, 32, 128, 3, 10000f, RopeStyle.HalfSplit);
            cpu.SwiGlu(output, inputs[0], output, 17 * 4096);
            cpu.Add(output, inputs[0], 17 * 4096);
        }));
        return outputs.ToArray();
    }
}
