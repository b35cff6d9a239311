using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Formats.Gguf;

/// <summary>Reads a transformer's hyperparameters and tensors from a GGUF file, by llama.cpp's key and tensor names.</summary>
public static class GgufModelReader
{
    /// <summary>Architectures this runtime runs, with the RoPE pairing llama.cpp uses for each.</summary>
    public static readonly IReadOnlyDictionary<string, RopeStyle> SupportedArchitectures = new Dictionary<string, RopeStyle>
    {
        ["llama"] = RopeStyle.AdjacentPairs,
        ["qwen2"] = RopeStyle.HalfSplit,
    };

    /// <summary>Reads the hyperparameters from <paramref name="file"/>'s metadata.</summary>
    /// <exception cref="ModelFormatException">A key is missing, mistyped or out of range, or the architecture is unsupported.</exception>
    public static TransformerConfig ReadConfig(GgufFile file)
    {
        var m = file.Metadata;
        string arch = m.GetString("general.architecture");
        if (!SupportedArchitectures.TryGetValue(arch, out var ropeStyle))
        {
            throw new ModelFormatException(
                $"architecture '{arch}' is not supported (supported: {string.Join(", ", SupportedArchitectures.Keys)})");
        }
        int dim = Int(m, $"{arch}.embedding_length");
        int heads = Int(m, $"{arch}.attention.head_count");
        int kvHeads = m.GetIntegerOrNull($"{arch}.attention.head_count_kv") is { } kv ? Checked(kv, $"{arch}.attention.head_count_kv") : heads;
        if (heads <= 0)
        {
            throw new ModelFormatException($"'{arch}.attention.head_count' = {heads} must be positive");
        }
        int headDim = m.GetIntegerOrNull($"{arch}.attention.key_length") is { } kl ? Checked(kl, $"{arch}.attention.key_length") : dim / heads;
        if (m.GetIntegerOrNull($"{arch}.attention.value_length") is { } vl && vl != headDim)
        {
            throw new ModelFormatException($"value head size {vl} differs from key head size {headDim}, which is not supported");
        }
        if (m.GetIntegerOrNull($"{arch}.rope.dimension_count") is { } rd && rd != headDim)
        {
            throw new ModelFormatException($"partial rotary embedding ({rd} of {headDim} dimensions) is not supported");
        }
        if (!file.TryGetTensor("token_embd.weight", out var embedding))
        {
            throw new ModelFormatException("tensor 'token_embd.weight' is missing");
        }
        int vocab = m.GetIntegerOrNull($"{arch}.vocab_size") is { } v ? Checked(v, $"{arch}.vocab_size") : (int)Math.Min(embedding.Rows, int.MaxValue);
        var config = new TransformerConfig(
            Architecture: arch,
            EmbeddingLength: dim,
            FeedForwardLength: Int(m, $"{arch}.feed_forward_length"),
            BlockCount: Int(m, $"{arch}.block_count"),
            HeadCount: heads,
            KvHeadCount: kvHeads,
            HeadDim: headDim,
            VocabularySize: vocab,
            ContextLength: Int(m, $"{arch}.context_length"),
            RmsNormEpsilon: (float)(m.GetNumberOrNull($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5),
            RopeTheta: (float)(m.GetNumberOrNull($"{arch}.rope.freq_base") ?? 10000.0),
            RopeStyle: ropeStyle,
            TiedEmbeddings: !file.TryGetTensor("output.weight", out _),
            HasQkvBias: file.TryGetTensor("blk.0.attn_q.bias", out _));
        config.Validate();
        return config;
    }

    /// <summary>Gathers the tensors of <paramref name="config"/>'s model from <paramref name="file"/> (zero-copy views).</summary>
    /// <exception cref="ModelFormatException">A tensor is missing or has the wrong shape.</exception>
    public static TransformerWeights ReadWeights(GgufFile file, TransformerConfig config)
    {
        HostTensor Get(string name) => file.TryGetTensor(name, out var info)
            ? file.GetHostTensor(info)
            : throw new ModelFormatException($"tensor '{name}' is missing");
        HostTensor? Optional(string name) => file.TryGetTensor(name, out var info) ? file.GetHostTensor(info) : null;

        var blocks = new BlockWeights[config.BlockCount];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"blk.{i}.";
            blocks[i] = new BlockWeights(
                AttentionNorm: Get(p + "attn_norm.weight"),
                Query: Get(p + "attn_q.weight"),
                Key: Get(p + "attn_k.weight"),
                Value: Get(p + "attn_v.weight"),
                AttentionOutput: Get(p + "attn_output.weight"),
                FeedForwardNorm: Get(p + "ffn_norm.weight"),
                Gate: Get(p + "ffn_gate.weight"),
                Up: Get(p + "ffn_up.weight"),
                Down: Get(p + "ffn_down.weight"),
                QueryBias: Optional(p + "attn_q.bias"),
                KeyBias: Optional(p + "attn_k.bias"),
                ValueBias: Optional(p + "attn_v.bias"));
        }
        var embedding = Get("token_embd.weight");
        var weights = new TransformerWeights(embedding, blocks, Get("output_norm.weight"), Optional("output.weight") ?? embedding);
        weights.Validate(config);
        return weights;
    }

    private static int Int(GgufMetadata metadata, string key) => Checked(metadata.GetInteger(key), key);

    private static int Checked(long value, string key) =>
        value is >= 0 and <= int.MaxValue ? (int)value : throw new ModelFormatException($"'{key}' = {value} is out of range");
}
