using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Tensors;
using static QuantRuntime.Tests.Kernels.Cpu.CpuTestData;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>The non-matmul operators of <see cref="CpuBackend"/> against the reference, every kernel level, 1 to 3 threads.</summary>
public sealed class CpuOperatorTests
{
    public static TheoryData<CpuKernelLevel> AllLevels => LevelData();

    /// <summary>
    /// RMSNorm: the sum of squares is accumulated in float32 (the reference: float64), so its
    /// relative error is at most n·u (u = 2^-24, worst case of a sequential sum; vector lanes do far
    /// better); the inverse square root halves it and the two float32 products add 2u. Tolerance:
    /// (n/2 + 4)·u·|reference| + u·|x·g|.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllLevels))]
    public void RmsNorm_MatchesReference(CpuKernelLevel level)
    {
        foreach (var (rows, dim) in new[] { (1, 172), (3, 96), (17, 4096), (2, 8), (5, 7) })
        {
            foreach (bool inPlace in new[] { false, true })
            {
                var x = Activations(rows * dim, seed: rows * dim);
                var g = HostTensor.FromFloats(1, dim, Activations(dim, seed: dim + 1));
                float[] Run(IComputeBackend backend)
                {
                    using var weight = backend.Upload(g);
                    return CpuTestData.Run(backend, rows * dim, [x], (inputs, output) =>
                    {
                        if (inPlace)
                        {
                            backend.RmsNorm(inputs[0], weight, inputs[0], rows, 1e-5f);
                            backend.Copy(inputs[0], 0, output, 0, rows * dim);
                        }
                        else
                        {
                            backend.RmsNorm(inputs[0], weight, output, rows, 1e-5f);
                        }
                    });
                }
                using var cpu = new CpuBackend(1 + rows % 3, level);
                var actual = Run(cpu);
                var expected = Run(new ReferenceBackend());
                for (int i = 0; i < actual.Length; i++)
                {
                    double tolerance = (dim / 2.0 + 4) * U * Math.Abs(expected[i]) + 1e-30;
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{level} rows {rows} dim {dim}: [{i}] {actual[i]} vs {expected[i]}");
                }
            }
        }
    }

    /// <summary>
    /// RoPE: cos and sin are computed in float64 as the reference does, then rounded to float32
    /// (relative error u each); the rotation is two float32 products and a sum (3u more). Tolerance:
    /// 6u·(|x0| + |x1|) of the pair, plus the reference's own final rounding.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllLevels))]
    public void Rope_MatchesReference(CpuKernelLevel level)
    {
        foreach (var style in new[] { RopeStyle.AdjacentPairs, RopeStyle.HalfSplit })
        {
            foreach (var (rows, heads, headDim, start) in new[] { (1, 4, 8, 0), (3, 2, 128, 5), (17, 3, 48, 100), (2, 6, 64, 1000), (1, 1, 2, 7) })
            {
                var x = Activations(rows * heads * headDim, seed: rows + heads + headDim);
                float[] Run(IComputeBackend backend) => CpuTestData.Run(backend, x.Length, [x], (inputs, output) =>
                {
                    backend.Rope(inputs[0], rows, heads, headDim, start, 10000f, style);
                    backend.Copy(inputs[0], 0, output, 0, x.Length);
                });
                using var cpu = new CpuBackend(1 + rows % 3, level);
                var actual = Run(cpu);
                var expected = Run(new ReferenceBackend());
                int half = headDim / 2;
                for (int i = 0; i < x.Length; i++)
                {
                    int within = i % headDim;
                    int partner = style == RopeStyle.AdjacentPairs ? i ^ 1 : (within < half ? i + half : i - half);
                    double tolerance = 6 * U * (Math.Abs(x[i]) + Math.Abs(x[partner])) + U * Math.Abs(expected[i]);
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance,
                        $"{level} {style} rows {rows} heads {heads} dim {headDim}: [{i}] {actual[i]} vs {expected[i]}");
                }
            }
        }
    }

    /// <summary>
    /// Attention: scores are float32 dot products (error ≤ (d + 4)·u·scale·Σ|q k|), the softmax uses
    /// float32 exponentials (a few ulp) and sums, the output a float32 weighted sum. A score error δ
    /// moves each weight by a relative 2δ at most, so the output moves by at most
    /// (2·max δ + (positions + d + 32)·4u)·max|v| — the stated tolerance.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllLevels))]
    public void Attention_MatchesReference(CpuKernelLevel level)
    {
        foreach (var (rows, start, heads, kvHeads, dim) in new[] { (1, 0, 4, 4, 8), (3, 5, 8, 2, 128), (17, 3, 6, 3, 16), (1, 130, 4, 1, 64), (5, 60, 2, 2, 12) })
        {
            var shape = new AttentionShape(rows, start, heads, kvHeads, dim);
            int positions = start + rows;
            var q = Activations(rows * shape.QueryWidth, seed: rows + dim);
            var k = Activations(positions * shape.KvWidth, seed: start + dim);
            var v = Activations(positions * shape.KvWidth, seed: start + dim + 1);
            float[] Run(IComputeBackend backend) =>
                CpuTestData.Run(backend, rows * shape.QueryWidth, [q, k, v], (inputs, output) => backend.Attention(inputs[0], inputs[1], inputs[2], output, shape));
            using var cpu = new CpuBackend(1 + rows % 3, level);
            var actual = Run(cpu);
            var expected = Run(new ReferenceBackend());
            int group = heads / kvHeads;
            for (int r = 0; r < rows; r++)
            {
                for (int h = 0; h < heads; h++)
                {
                    double maxScoreError = 0, maxValue = 0;
                    int kv = h / group;
                    for (int t = 0; t <= start + r; t++)
                    {
                        double magnitude = 0;
                        for (int i = 0; i < dim; i++)
                        {
                            magnitude += Math.Abs((double)q[r * shape.QueryWidth + h * dim + i] * k[t * shape.KvWidth + kv * dim + i]);
                            maxValue = Math.Max(maxValue, Math.Abs(v[t * shape.KvWidth + kv * dim + i]));
                        }
                        maxScoreError = Math.Max(maxScoreError, (dim + 4) * U * magnitude * shape.Scale);
                    }
                    double tolerance = (2 * maxScoreError + (start + r + 1 + dim + 32) * 4 * U) * maxValue;
                    for (int i = 0; i < dim; i++)
                    {
                        int at = r * shape.QueryWidth + h * dim + i;
                        Assert.True(Math.Abs(actual[at] - expected[at]) <= tolerance,
                            $"{level} {shape}: row {r} head {h} [{i}] {actual[at]} vs {expected[at]} (tolerance {tolerance:E3})");
                    }
                }
            }
        }
    }

    /// <summary>SwiGLU: a float32 exponential (a few ulp) and three float32 operations; tolerance 16u·|reference|.</summary>
    [Theory]
    [MemberData(nameof(AllLevels))]
    public void SwiGlu_MatchesReference(CpuKernelLevel level)
    {
        foreach (int length in new[] { 1, 17, 172, 5632 * 3 + 5, 70000 })
        {
            var g = Activations(length, seed: length);
            var u = Activations(length, seed: length + 1);
            float[] Run(IComputeBackend backend) =>
                CpuTestData.Run(backend, length, [g, u], (inputs, output) => backend.SwiGlu(inputs[0], inputs[1], output, length));
            using var cpu = new CpuBackend(1 + length % 3, level);
            var actual = Run(cpu);
            var expected = Run(new ReferenceBackend());
            for (int i = 0; i < length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 16 * U * Math.Abs(expected[i]) + 1e-38, $"{level} [{i}] {actual[i]} vs {expected[i]}");
            }
        }
    }

    /// <summary>Add, AddBias and Embed are exact: the same float32 additions and the same decoders as the reference.</summary>
    [Theory]
    [MemberData(nameof(AllLevels))]
    public void Add_AddBias_Embed_AreExact(CpuKernelLevel level)
    {
        foreach (var (rows, width) in new[] { (1, 172), (3, 96), (17, 2048), (2, 5) })
        {
            var x = Activations(rows * width, seed: width);
            var b = Activations(rows * width, seed: width + 1);
            var bias = HostTensor.FromFloats(1, width, Activations(width, seed: width + 2));
            float[] Run(IComputeBackend backend)
            {
                using var biasWeight = backend.Upload(bias);
                return CpuTestData.Run(backend, rows * width, [x, b], (inputs, output) =>
                {
                    backend.Add(inputs[0], inputs[1], rows * width);
                    backend.AddBias(inputs[0], biasWeight, rows);
                    backend.Copy(inputs[0], 0, output, 0, rows * width);
                });
            }
            using var cpu = new CpuBackend(1 + rows % 3, level);
            Assert.Equal(Run(new ReferenceBackend()), Run(cpu));
        }
        foreach (var type in new[] { TensorType.F32, TensorType.F16, TensorType.Q4_0, TensorType.Q8_0, TensorType.Q6_K })
        {
            var table = Weights(type, 50, 256, seed: 3);
            int[] tokens = [0, 49, 7, 7];
            float[] Run(IComputeBackend backend)
            {
                using var weight = backend.Upload(table);
                return CpuTestData.Run(backend, tokens.Length * 256, [], (_, output) => backend.Embed(weight, tokens, output));
            }
            using var cpu = new CpuBackend(2, level);
            Assert.Equal(Run(new ReferenceBackend()), Run(cpu));
        }
    }
}
