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
