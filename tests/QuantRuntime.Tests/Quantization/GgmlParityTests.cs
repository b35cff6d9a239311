using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Numerics;
using QuantRuntime.Tests.Oracle;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Quantization;

/// <summary>Our ggml-format codecs against ggml's own, byte for byte.</summary>
public sealed class GgmlParityTests
{
    public static TheoryData<TensorType> GgmlTypes => [TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_1];

    /// <summary>Rows of 256 drawn from several distributions, with outliers, zero and constant blocks, ties and extremes.</summary>
    private static float[] HardTensor(int rows, int columns, ulong seed)
    {
        var random = new SeededRandom(seed);
        var values = new float[rows * columns];
        for (int i = 0; i < values.Length; i++)
        {
            int block = i / 32, row = i / columns;
            values[i] = (row % 6) switch
            {
                0 => (float)random.NextNormal(),
                1 => (float)(random.NextNormal() * (random.NextDouble() < 0.02 ? 60 : 0.05)),
                2 => block % 3 == 0 ? 0f : (float)(random.NextNormal() * 1e-4),
                3 => block % 2 == 0 ? 0.75f : -(float)random.NextDouble(),
                // Values on exact rounding boundaries of the Q4 grids.
                4 => (random.NextInt(33) - 16) * 0.0625f,
                _ => (float)(random.NextDouble() * 2e4 - 1e4),
            };
        }
        return values;
    }

    [Theory]
    [MemberData(nameof(GgmlTypes))]
    public void RandomTensorsWithOutliers_QuantizeToGgmlBytes(TensorType type)
    {
        const int rows = 36, columns = 256;
        var values = HardTensor(rows, columns, 17);
        var expected = GgmlNative.Quantize(type, values, rows, columns);
        var actual = RowEncoder.Convert(HostTensor.FromFloats(rows, columns, values), type).Data.ToArray();
        Assert.Equal(expected, actual);
    }

    [SharedFixtureTheory]
    [MemberData(nameof(GgmlTypes))]
    public void Stories260KTensors_QuantizeToGgmlBytes(TensorType type)
    {
        using var file = ModelFile.Open(RepositoryPaths.Stories260K);
        int compared = 0;
        foreach (var (name, tensor) in file.Weights.Named())
        {
            if (tensor.Rows == 1 || tensor.Columns % 32 != 0)
            {
                continue; // vectors stay F32; ffn_down's 172-wide rows have no ggml block layout
            }
            var values = RowDecoder.DecodeAll(tensor);
            var expected = GgmlNative.Quantize(type, values, tensor.Rows, tensor.Columns);
            var actual = RowEncoder.Convert(tensor, type).Data.ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name} differs from ggml");
            compared++;
        }
        Assert.Equal(1 + 5 * 6, compared); // embedding + q, k, v, o, gate, up per block
    }

    [Theory]
    [MemberData(nameof(GgmlTypes))]
    public void Dequantize_EqualsGgml(TensorType type)
    {
        var values = HardTensor(12, 256, 23);
        var blocks = GgmlNative.Quantize(type, values, 12, 256);
        var ours = new float[values.Length];
        RowDecoder.Decode(type, blocks, ours);
        Assert.Equal(GgmlNative.Dequantize(type, blocks, values.Length), ours);
    }

    public static TheoryData<TensorType> KQuantTypes => [TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K];

    [Theory]
    [MemberData(nameof(KQuantTypes))]
    public void KQuants_DequantizeExactlyAsGgml(TensorType type)
    {
        // ggml's own K-quantizer makes realistic blocks; their decoding must agree bit for bit.
        var values = HardTensor(6, 512, 31);
        var blocks = GgmlNative.Quantize(type, values, 6, 512);
        var ours = new float[values.Length];
        RowDecoder.Decode(type, blocks, ours);
        Assert.Equal(GgmlNative.Dequantize(type, blocks, values.Length), ours);
    }
}
