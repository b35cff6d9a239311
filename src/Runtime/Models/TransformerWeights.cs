using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Models;

/// <summary>All tensors of a transformer, as stored. With tied embeddings <see cref="Output"/> is <see cref="TokenEmbedding"/>.</summary>
public sealed record TransformerWeights(
    HostTensor TokenEmbedding,
    IReadOnlyList<BlockWeights> Blocks,
    HostTensor OutputNorm,
    HostTensor Output)
{
    /// <summary>Every tensor with its GGUF name, in llama.cpp's order; the output head is omitted when tied.</summary>
    public IEnumerable<(string Name, HostTensor Tensor)> Named()
    {
        yield return ("token_embd.weight", TokenEmbedding);
        for (int i = 0; i < Blocks.Count; i++)
        {
            foreach (var (suffix, tensor) in Blocks[i].Named())
            {
                yield return ($"blk.{i}.{suffix}", tensor);
            }
        }
        yield return ("output_norm.weight", OutputNorm);
        if (!ReferenceEquals(Output, TokenEmbedding))
        {
            yield return ("output.weight", Output);
        }
    }

    /// <summary>
    /// Returns the weights with every tensor replaced by <paramref name="map"/>(name, tensor); a tied
    /// output head is mapped once, under <c>token_embd.weight</c>, and stays tied.
    /// </summary>
    public TransformerWeights Map(Func<string, HostTensor, HostTensor> map)
    {
        var blocks = Blocks.Select((b, i) =>
        {
            string p = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"blk.{i}.");
            HostTensor? Optional(string name, HostTensor? t) => t is null ? null : map(p + name, t);
            return new BlockWeights(
                map(p + "attn_norm.weight", b.AttentionNorm),
                map(p + "attn_q.weight", b.Query),
                map(p + "attn_k.weight", b.Key),
                map(p + "attn_v.weight", b.Value),
                map(p + "attn_output.weight", b.AttentionOutput),
                map(p + "ffn_norm.weight", b.FeedForwardNorm),
                map(p + "ffn_gate.weight", b.Gate),
                map(p + "ffn_up.weight", b.Up),
                map(p + "ffn_down.weight", b.Down),
                Optional("attn_q.bias", b.QueryBias),
                Optional("attn_k.bias", b.KeyBias),
                Optional("attn_v.bias", b.ValueBias));
        }).ToArray();
        var embedding = map("token_embd.weight", TokenEmbedding);
        var outputNorm = map("output_norm.weight", OutputNorm);
        var output = ReferenceEquals(Output, TokenEmbedding) ? embedding : map("output.weight", Output);
        return new TransformerWeights(embedding, blocks, outputNorm, output);
    }

    /// <summary>Whether <paramref name="name"/> is the output head (the token embedding when tied).</summary>
    public bool IsOutputHead(string name) =>
        name == "output.weight" || (name == "token_embd.weight" && ReferenceEquals(Output, TokenEmbedding));

    /// <summary>Checks every tensor's shape against <paramref name="config"/>.</summary>
    /// <exception cref="Formats.ModelFormatException">A tensor has the wrong shape.</exception>
    public void Validate(TransformerConfig config)
    {
        int dim = config.EmbeddingLength;
        Expect("token_embd.weight", TokenEmbedding, config.VocabularySize, dim);
        Expect("output_norm.weight", OutputNorm, 1, dim);
        Expect("output.weight", Output, config.VocabularySize, dim);
        for (int i = 0; i < Blocks.Count; i++)
        {
            var b = Blocks[i];
            string p = $"blk.{i}.";
            Expect(p + "attn_norm.weight", b.AttentionNorm, 1, dim);
            Expect(p + "attn_q.weight", b.Query, config.QueryWidth, dim);
            Expect(p + "attn_k.weight", b.Key, config.KvWidth, dim);
            Expect(p + "attn_v.weight", b.Value, config.KvWidth, dim);
            Expect(p + "attn_output.weight", b.AttentionOutput, dim, config.QueryWidth);
            Expect(p + "ffn_norm.weight", b.FeedForwardNorm, 1, dim);
            Expect(p + "ffn_gate.weight", b.Gate, config.FeedForwardLength, dim);
            Expect(p + "ffn_up.weight", b.Up, config.FeedForwardLength, dim);
            Expect(p + "ffn_down.weight", b.Down, dim, config.FeedForwardLength);
            if (b.QueryBias is not null) Expect(p + "attn_q.bias", b.QueryBias, 1, config.QueryWidth);
            if (b.KeyBias is not null) Expect(p + "attn_k.bias", b.KeyBias, 1, config.KvWidth);
            if (b.ValueBias is not null) Expect(p + "attn_v.bias", b.ValueBias, 1, config.KvWidth);
        }
        if (Blocks.Count != config.BlockCount)
        {
            throw new Formats.ModelFormatException($"model has {Blocks.Count} blocks, hyperparameters say {config.BlockCount}");
        }
    }

    private static void Expect(string name, HostTensor tensor, int rows, int columns)
    {
        if (tensor.Rows != rows || tensor.Columns != columns)
        {
            throw new Formats.ModelFormatException(
                $"tensor '{name}' is {tensor.Rows}x{tensor.Columns}, expected {rows}x{columns}");
        }
    }
}
