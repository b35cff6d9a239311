using System.Buffers.Binary;
using QuantRuntime.IO;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Formats.Llama2c;

/// <summary>
/// Reads llama2.c's legacy (version 0) checkpoint: seven int32 hyperparameters, then float32
/// tensors in a fixed order. A negative vocabulary size means the classifier is stored
/// separately after the (unused) RoPE tables; otherwise it shares the token embedding.
/// </summary>
public static class Llama2cCheckpoint
{
    private const int HeaderBytes = 7 * sizeof(int);

    /// <summary>The magic of llama2.c's newer export versions ("ak42"), which this reader names but does not read.</summary>
    private const uint VersionedMagic = 0x616b3432;

    /// <summary>Parses the header and tensors of a mapped checkpoint (zero-copy views).</summary>
    /// <exception cref="ModelFormatException">The header is implausible or the file size does not match it.</exception>
    public static (TransformerConfig Config, TransformerWeights Weights) Read(MappedFile file)
    {
        if (file.Length < HeaderBytes)
        {
            throw new ModelFormatException("file is too short for a llama2.c checkpoint header");
        }
        var header = file.Span(0, HeaderBytes);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) == VersionedMagic)
        {
            throw new ModelFormatException("llama2.c export versions 1 and 2 are not supported; use the legacy (version 0) export");
        }
        var fields = new int[7];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = BinaryPrimitives.ReadInt32LittleEndian(header[(4 * i)..]);
        }
        int dim = fields[0], hidden = fields[1], layers = fields[2], heads = fields[3], kvHeads = fields[4], vocab = fields[5], seqLen = fields[6];
        bool shared = vocab > 0;
        vocab = vocab == int.MinValue ? 0 : Math.Abs(vocab);
        if (heads <= 0 || dim <= 0)
        {
            throw new ModelFormatException($"llama2.c header: dim {dim} and head count {heads} must be positive");
        }
        if (dim % heads != 0)
        {
            throw new ModelFormatException($"llama2.c header: dim {dim} is not a multiple of head count {heads}");
        }
        var config = new TransformerConfig(
            Architecture: "llama",
            EmbeddingLength: dim,
            FeedForwardLength: hidden,
            BlockCount: layers,
            HeadCount: heads,
            KvHeadCount: kvHeads,
            HeadDim: dim / heads,
            VocabularySize: vocab,
            ContextLength: seqLen,
            RmsNormEpsilon: 1e-5f,
            RopeTheta: 10000f,
            RopeStyle: RopeStyle.AdjacentPairs,
            TiedEmbeddings: shared,
            HasQkvBias: false);
        config.Validate();

        long kvWidth = (long)config.KvWidth;
        long perLayer = 2L * dim + (long)dim * dim + 2 * kvWidth * dim + (long)dim * dim + 3L * hidden * dim;
        long floats = (long)vocab * dim + layers * perLayer + dim + (long)seqLen * config.HeadDim + (shared ? 0 : (long)vocab * dim);
        long expected = HeaderBytes + floats * sizeof(float);
        if (file.Length != expected)
        {
            throw new ModelFormatException(
                $"llama2.c checkpoint is {file.Length} bytes, but its header ({dim} dim, {layers} layers, vocab {vocab}) implies {expected}");
        }

        long offset = HeaderBytes;
        HostTensor Next(int rows, int columns)
        {
            // The size matches the header, so only a tensor too large for one span can be left (a sparse file, or a huge model).
            if ((long)rows * columns * sizeof(float) > int.MaxValue)
            {
                throw new ModelFormatException($"llama2.c tensor of {rows}x{columns} floats is over 2 GiB, which is not supported");
            }
            int bytes = rows * columns * sizeof(float);
            var tensor = new HostTensor(TensorType.F32, rows, columns, file.Slice(offset, bytes));
            offset += bytes;
            return tensor;
        }
        HostTensor[] PerLayer(int rows, int columns) => Enumerable.Range(0, layers).Select(_ => Next(rows, columns)).ToArray();

        var embedding = Next(vocab, dim);
        var attentionNorm = PerLayer(1, dim);
        var wq = PerLayer(config.QueryWidth, dim);
        var wk = PerLayer(config.KvWidth, dim);
        var wv = PerLayer(config.KvWidth, dim);
        var wo = PerLayer(dim, config.QueryWidth);
        var ffnNorm = PerLayer(1, dim);
        var w1 = PerLayer(hidden, dim);
        var w2 = PerLayer(dim, hidden);
        var w3 = PerLayer(hidden, dim);
        var finalNorm = Next(1, dim);
        offset += (long)seqLen * config.HeadDim * sizeof(float); // RoPE tables: recomputed, never read
        var output = shared ? embedding : Next(vocab, dim);

        var blocks = Enumerable.Range(0, layers)
            .Select(i => new BlockWeights(attentionNorm[i], wq[i], wk[i], wv[i], wo[i], ffnNorm[i], w1[i], w3[i], w2[i]))
            .ToArray();
        var weights = new TransformerWeights(embedding, blocks, finalNorm, output);
        weights.Validate(config);
        return (config, weights);
    }
}
