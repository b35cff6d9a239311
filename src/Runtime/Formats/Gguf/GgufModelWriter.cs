using System.Globalization;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// Writes a transformer as a GGUF file llama.cpp can load: its architecture keys, the tokenizer
/// and general keys carried over from a source file, and the tensors under llama.cpp's names.
/// </summary>
public static class GgufModelWriter
{
    /// <summary>Builds the GGUF image of a model.</summary>
    /// <param name="config">Hyperparameters; its architecture names the key prefix.</param>
    /// <param name="weights">Tensors, written in their stored types.</param>
    /// <param name="source">Metadata to carry over (<c>general.*</c> but the architecture, and <c>tokenizer.*</c>); may be null.</param>
    /// <param name="name">Value of <c>general.name</c> when the source has none.</param>
    public static GgufWriter Build(TransformerConfig config, TransformerWeights weights, GgufMetadata? source, string name = "model")
    {
        weights.Validate(config);
        string arch = config.Architecture;
        var writer = new GgufWriter();
        writer.Add("general.architecture", arch);
        if (source?.GetStringOrNull("general.name") is null)
        {
            writer.Add("general.name", name);
        }
        foreach (var (key, value) in source?.Entries ?? [])
        {
            if (key.StartsWith("general.", StringComparison.Ordinal) && key is not ("general.architecture" or "general.file_type"))
            {
                writer.Add(key, value);
            }
        }
        writer.Add($"{arch}.context_length", (uint)config.ContextLength);
        writer.Add($"{arch}.embedding_length", (uint)config.EmbeddingLength);
        writer.Add($"{arch}.block_count", (uint)config.BlockCount);
        writer.Add($"{arch}.feed_forward_length", (uint)config.FeedForwardLength);
        writer.Add($"{arch}.attention.head_count", (uint)config.HeadCount);
        writer.Add($"{arch}.attention.head_count_kv", (uint)config.KvHeadCount);
        writer.Add($"{arch}.attention.layer_norm_rms_epsilon", config.RmsNormEpsilon);
        writer.Add($"{arch}.rope.freq_base", config.RopeTheta);
        writer.Add($"{arch}.rope.dimension_count", (uint)config.HeadDim);
        if (config.HeadDim * config.HeadCount != config.EmbeddingLength)
        {
            writer.Add($"{arch}.attention.key_length", (uint)config.HeadDim);
            writer.Add($"{arch}.attention.value_length", (uint)config.HeadDim);
        }
        writer.Add($"{arch}.vocab_size", (uint)config.VocabularySize);
        bool hasTokenizer = false;
        foreach (var (key, value) in source?.Entries ?? [])
        {
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal))
            {
                writer.Add(key, value);
                hasTokenizer = true;
            }
        }
        if (!hasTokenizer)
        {
            PlaceholderVocabulary.AddTo(writer, config.VocabularySize);
        }
        foreach (var (tensorName, tensor) in weights.Named())
        {
            writer.AddTensor(tensorName, tensor);
        }
        return writer;
    }

    /// <summary>Returns <paramref name="weights"/> with every matrix (2-D tensor) re-encoded by <paramref name="convert"/>; vectors stay F32.</summary>
    public static TransformerWeights MapMatrices(TransformerWeights weights, Func<string, HostTensor, HostTensor> convert)
    {
        var cache = new Dictionary<HostTensor, HostTensor>(ReferenceEqualityComparer.Instance);
        HostTensor Map(string name, HostTensor t)
        {
            if (t.Rows == 1)
            {
                return t;
            }
            if (!cache.TryGetValue(t, out var mapped))
            {
                mapped = convert(name, t);
                cache[t] = mapped;
            }
            return mapped;
        }
        var blocks = weights.Blocks.Select((b, i) =>
        {
            string p = string.Create(CultureInfo.InvariantCulture, $"blk.{i}.");
            return b with
            {
                Query = Map(p + "attn_q.weight", b.Query),
                Key = Map(p + "attn_k.weight", b.Key),
                Value = Map(p + "attn_v.weight", b.Value),
                AttentionOutput = Map(p + "attn_output.weight", b.AttentionOutput),
                Gate = Map(p + "ffn_gate.weight", b.Gate),
                Up = Map(p + "ffn_up.weight", b.Up),
                Down = Map(p + "ffn_down.weight", b.Down),
            };
        }).ToArray();
        return new TransformerWeights(
            Map("token_embd.weight", weights.TokenEmbedding),
            blocks,
            weights.OutputNorm,
            ReferenceEquals(weights.Output, weights.TokenEmbedding) ? Map("token_embd.weight", weights.TokenEmbedding) : Map("output.weight", weights.Output));
    }
}
