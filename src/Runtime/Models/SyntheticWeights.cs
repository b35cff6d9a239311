using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Numerics;

namespace QuantRuntime.Models;

/// <summary>
/// Seeded random weights of any shape, for tests and benchmarks that need a model of a given
/// size rather than a trained one. Matrices are N(0, 1/in) so activations keep unit scale; norm
/// gains are near 1; biases small.
/// </summary>
public static class SyntheticWeights
{
    /// <summary>Creates weights for <paramref name="config"/>; matrices are stored as <paramref name="matrixType"/>, vectors as F32.</summary>
    public static TransformerWeights Create(TransformerConfig config, ulong seed, TensorType matrixType = TensorType.F32)
    {
        config.Validate();
        var random = new SeededRandom(seed);
        int dim = config.EmbeddingLength;
        HostTensor Matrix(int rows, int columns, double std) => Encode(rows, columns, matrixType, () => random.NextNormal() * std);
        HostTensor Gain(int width) => Encode(1, width, TensorType.F32, () => 1.0 + 0.1 * random.NextNormal());
        HostTensor Bias(int width) => Encode(1, width, TensorType.F32, () => 0.1 * random.NextNormal());

        var embedding = Matrix(config.VocabularySize, dim, 1.0);
        var blocks = new BlockWeights[config.BlockCount];
        for (int i = 0; i < blocks.Length; i++)
        {
            double inDim = 1 / Math.Sqrt(dim), inQuery = 1 / Math.Sqrt(config.QueryWidth), inHidden = 1 / Math.Sqrt(config.FeedForwardLength);
            blocks[i] = new BlockWeights(
                AttentionNorm: Gain(dim),
                Query: Matrix(config.QueryWidth, dim, inDim),
                Key: Matrix(config.KvWidth, dim, inDim),
                Value: Matrix(config.KvWidth, dim, inDim),
                AttentionOutput: Matrix(dim, config.QueryWidth, inQuery),
                FeedForwardNorm: Gain(dim),
                Gate: Matrix(config.FeedForwardLength, dim, inDim),
                Up: Matrix(config.FeedForwardLength, dim, inDim),
                Down: Matrix(dim, config.FeedForwardLength, inHidden),
                QueryBias: config.HasQkvBias ? Bias(config.QueryWidth) : null,
                KeyBias: config.HasQkvBias ? Bias(config.KvWidth) : null,
                ValueBias: config.HasQkvBias ? Bias(config.KvWidth) : null);
        }
        var outputNorm = Gain(dim);
        var output = config.TiedEmbeddings ? embedding : Matrix(config.VocabularySize, dim, 1 / Math.Sqrt(dim));
        return new TransformerWeights(embedding, blocks, outputNorm, output);
    }

    private static HostTensor Encode(int rows, int columns, TensorType type, Func<double> sample)
    {
        var info = TensorTypeInfo.Of(type);
        int rowBytes = checked((int)info.ByteCount(columns));
        var bytes = new byte[checked((long)rowBytes * rows)];
        var row = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < columns; i++)
            {
                row[i] = (float)sample();
            }
            RowEncoder.Encode(type, row, bytes.AsSpan(r * rowBytes, rowBytes));
        }
        return new HostTensor(type, rows, columns, bytes);
    }
}
