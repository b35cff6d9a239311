using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Numerics;

namespace QuantRuntime.Tests.Quantization;

/// <summary>The error bound round-to-nearest promises, per scheme.</summary>
public sealed class RoundToNearestBoundTests
{
    public static TheoryData<TensorType> GroupTypes => [.. GroupScaledLayout.All.Select(l => l.Type)];

    private static float[] Sample(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, count).Select(i => (float)(random.NextNormal() * (i % 97 == 0 ? 20 : 1) + (i / 256 % 3 - 1) * 0.5))];
    }

    [Theory]
    [MemberData(nameof(GroupTypes))]
    public void GroupScaled_ErrorWithinHalfAStep_AsymmetricCoversRange(TensorType type)
    {
        GroupScaledLayout.TryGet(type, out var layout);
        var values = Sample(4096, (ulong)type);
        var tensor = RowEncoder.Convert(HostTensor.FromFloats(1, values.Length, values), type);
        var decoded = RowDecoder.DecodeAll(tensor);
        var (_, hi) = GroupScaledBlock.LevelRange(layout!);
        for (int g = 0; g < values.Length / layout!.GroupSize; g++)
        {
            var group = tensor.Data.Span.Slice(g * layout.GroupBytes, layout.GroupBytes);
            double step = (double)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(group);
            var x = values.AsSpan(g * layout.GroupSize, layout.GroupSize);
            double slack;
            double min = x.ToArray().Min(), max = x.ToArray().Max();
            if (layout.Asymmetric)
            {
                // The grid [m, m + levels·d] is [min, max] up to the fp16 rounding of m and d
                // (2^-11 relative); weights just outside it are off by that much more.
                double m = (double)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(group[2..]);
                double top = m + hi * step;
                double fp16 = 1e-3 * (Math.Abs(min) + Math.Abs(max)) + 1e-6;
                Assert.True(m <= min + fp16 && top >= max - fp16, $"{layout.Name} group {g}: grid [{m}, {top}] does not cover [{min}, {max}]");
                slack = Math.Max(0, m - min) + Math.Max(0, max - top);
            }
            else
            {
                // fp16 rounding of d = amax / top level can leave the largest weight a little past the grid.
                slack = Math.Max(0, Math.Max(Math.Abs(min), Math.Abs(max)) - hi * step);
            }
            for (int i = 0; i < layout.GroupSize; i++)
            {
                double error = Math.Abs(x[i] - decoded[g * layout.GroupSize + i]);
                Assert.True(error <= step / 2 * (1 + 1e-6) + slack + 1e-7, $"{layout.Name} group {g} weight {i}: error {error} > half step {step / 2} (+{slack})");
            }
        }
    }

    [Theory]
    [InlineData(TensorType.Q8_0, 127)]
    [InlineData(TensorType.Q4_0, 8)]
    [InlineData(TensorType.Q4_1, 15)]
    public void GgmlTypes_ErrorWithinHalfAStepInsideTheGrid(TensorType type, int levels)
    {
        var values = Sample(4096, 5);
        var encoded = RowEncoder.Convert(HostTensor.FromFloats(1, values.Length, values), type);
        var decoded = RowDecoder.DecodeAll(encoded);
        int blockBytes = TensorTypeInfo.Of(type).BlockBytes;
        for (int b = 0; b < values.Length / 32; b++)
        {
            var x = values.AsSpan(b * 32, 32).ToArray();
            var block = encoded.Data.Span.Slice(b * blockBytes, blockBytes);
            double step = type == TensorType.Q4_1 ? (x.Max() - x.Min()) / levels : x.Max(v => Math.Abs(v)) / levels;
            double stored = Math.Abs((double)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(block));
            // ggml picks levels with the float32 step but stores it as fp16: the decoded grid is
            // stretched by |step − stored| per level, and Q4_1's minimum is rounded too.
            double drift = levels * Math.Abs(step - stored)
                + (type == TensorType.Q4_1 ? Math.Abs(x.Min() - (double)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(block[2..])) : 0);
            for (int i = 0; i < 32; i++)
            {
                double error = Math.Abs(x[i] - decoded[b * 32 + i]);
                // Q4_0 maps the largest magnitude to −8·d: weights beyond +7·d on the other side are clamped by up to one step.
                bool clamped = type == TensorType.Q4_0 && Math.Abs(x[i]) > 7 * step && Math.Sign(x[i]) != Math.Sign(x.MaxBy(Math.Abs));
                double bound = (clamped ? step : step / 2) + drift + 1e-6;
                Assert.True(error <= bound, $"{type} block {b} weight {i}: error {error} > {bound}");
            }
        }
    }
}
