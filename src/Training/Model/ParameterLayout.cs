using System.Globalization;
using QuantRuntime.Models;

namespace QuantRuntime.Training.Model;

/// <summary>
/// The trainable tensors of a Llama model laid out in one flat float array (GGUF order), so the
/// optimizer, gradient reduction and clipping are single loops. With tied embeddings the output
/// head is the embedding slot.
/// </summary>
public sealed class ParameterLayout
{
    private readonly List<TensorSlot> _tensors = [];

    /// <summary>Lays out the tensors of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The configuration has biases (not supported by the trainer).</exception>
    public ParameterLayout(TransformerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.HasQkvBias)
        {
            throw new ArgumentException("the trainer does not support query/key/value biases", nameof(config));
        }
        Config = config;
        int dim = config.EmbeddingLength;
        Embedding = Add("token_embd.weight", config.VocabularySize, dim);
        var layers = new LayerSlots[config.BlockCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = string.Create(CultureInfo.InvariantCulture, $"blk.{i}.");
            layers[i] = new LayerSlots(
                Add(p + "attn_norm.weight", 1, dim),
                Add(p + "attn_q.weight", config.QueryWidth, dim),
                Add(p + "attn_k.weight", config.KvWidth, dim),
                Add(p + "attn_v.weight", config.KvWidth, dim),
                Add(p + "attn_output.weight", dim, config.QueryWidth),
                Add(p + "ffn_norm.weight", 1, dim),
                Add(p + "ffn_gate.weight", config.FeedForwardLength, dim),
                Add(p + "ffn_up.weight", config.FeedForwardLength, dim),
                Add(p + "ffn_down.weight", dim, config.FeedForwardLength));
        }
        Layers = layers;
        OutputNorm = Add("output_norm.weight", 1, dim);
        Output = config.TiedEmbeddings ? Embedding : Add("output.weight", config.VocabularySize, dim);
    }

    /// <summary>The hyperparameters.</summary>
    public TransformerConfig Config { get; }

    /// <summary>Total number of parameters.</summary>
    public int Count { get; private set; }

    /// <summary>Every tensor, in GGUF order (the tied output head is not repeated).</summary>
    public IReadOnlyList<TensorSlot> Tensors => _tensors;

    /// <summary>The token embedding.</summary>
    public TensorSlot Embedding { get; }

    /// <summary>The final RMSNorm gain.</summary>
    public TensorSlot OutputNorm { get; }

    /// <summary>The output head (the embedding when tied).</summary>
    public TensorSlot Output { get; }

    internal IReadOnlyList<LayerSlots> Layers { get; }

    private TensorSlot Add(string name, int rows, int columns)
    {
        var slot = new TensorSlot(name, Count, rows, columns);
        Count = checked(Count + rows * columns);
        _tensors.Add(slot);
        return slot;
    }
}
