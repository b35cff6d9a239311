using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Models;

/// <summary>What <c>quant info</c> reports about a model file, gathered without loading it onto a device.</summary>
/// <param name="Path">The file.</param>
/// <param name="Format">Its format.</param>
/// <param name="FileSize">Its size in bytes.</param>
/// <param name="Config">Hyperparameters.</param>
/// <param name="ParameterCount">Weights in all tensors (a tied output head counted once).</param>
/// <param name="TensorTypes">Per storage type: how many tensors and how many bytes.</param>
/// <param name="Tokenizer">Tokenizer kind (<c>llama</c>, <c>gpt2</c>), or null without one.</param>
/// <param name="TokenizerPre">Byte-level BPE pre-tokenizer name, when given.</param>
/// <param name="Name">The model's <c>general.name</c>, when given.</param>
public sealed record ModelSummary(
    string Path,
    ModelFileFormat Format,
    long FileSize,
    TransformerConfig Config,
    long ParameterCount,
    IReadOnlyDictionary<TensorType, (int Count, long Bytes)> TensorTypes,
    string? Tokenizer,
    string? TokenizerPre,
    string? Name)
{
    /// <summary>Summarises an opened file; the tokenizer metadata is validated on the way.</summary>
    /// <exception cref="Formats.ModelFormatException">The tokenizer metadata is inconsistent, or its size differs from the model's vocabulary.</exception>
    public static ModelSummary Of(ModelFile file)
    {
        var types = new SortedDictionary<TensorType, (int Count, long Bytes)>();
        long parameters = 0;
        foreach (var (_, tensor) in file.Weights.Named())
        {
            var (count, bytes) = types.GetValueOrDefault(tensor.Type);
            types[tensor.Type] = (count + 1, bytes + tensor.Data.Length);
            parameters += (long)tensor.Rows * tensor.Columns;
        }
        var metadata = file.Gguf?.Metadata;
        bool placeholder = metadata?.GetBoolOrNull(PlaceholderVocabulary.MarkerKey) == true;
        var tokenizer = metadata is null || placeholder ? null : ModelTokenizer.FromGguf(metadata);
        if (tokenizer is not null && tokenizer.VocabularySize != file.Config.VocabularySize)
        {
            // The same check as LanguageModel.Load, so info does not describe a file generate refuses.
            throw new Formats.ModelFormatException(
                $"tokenizer has {tokenizer.VocabularySize} tokens but the model's vocabulary is {file.Config.VocabularySize}");
        }
        return new ModelSummary(
            file.Path,
            file.Format,
            file.FileSize,
            file.Config,
            parameters,
            types,
            tokenizer?.Model,
            tokenizer is null ? null : metadata!.GetStringOrNull("tokenizer.ggml.pre"),
            metadata?.GetStringOrNull("general.name"));
    }
}
