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
    /// <param name="extra">More entries, written after the general ones (e.g. <c>general.file_type</c>).</param>
    public static GgufWriter Build(TransformerConfig config, TransformerWeights weights, GgufMetadata? source, string name = "model",
        IEnumerable<KeyValuePair<string, GgufValue>>? extra = null)
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
            if (key.StartsWith("general.", StringComparison.Ordinal) && key is not ("general.architecture" or "general.file_type" or "general.quantization_version"))
            {
                writer.Add(key, value);
            }
        }
        foreach (var (key, value) in extra ?? [])
        {
            writer.Add(key, value);
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
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal) || key == PlaceholderVocabulary.MarkerKey)
            {
                writer.Add(key, value);
                hasTokenizer |= key != PlaceholderVocabulary.MarkerKey;
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

    /// <summary>Returns <paramref name="weights"/> with every matrix (2-D tensor) re-encoded by <paramref name="convert"/>; vectors stay as they are.</summary>
    public static TransformerWeights MapMatrices(TransformerWeights weights, Func<string, HostTensor, HostTensor> convert) =>
        weights.Map((name, tensor) => tensor.Rows == 1 ? tensor : convert(name, tensor));
}
