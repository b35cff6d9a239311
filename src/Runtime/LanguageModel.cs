using QuantRuntime.Formats.Gguf;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Models;
using QuantRuntime.Tokenization;

namespace QuantRuntime;

/// <summary>
/// A loaded model ready to generate: the mapped file, its tokenizer (if it has one) and its
/// weights on a compute backend. Thread-safe to share; each generation uses its own
/// <see cref="InferenceSession"/>.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    private LanguageModel(ModelFile file, ModelTokenizer? tokenizer, IComputeBackend backend, TransformerModel transformer)
    {
        File = file;
        Tokenizer = tokenizer;
        Backend = backend;
        Transformer = transformer;
    }

    /// <summary>The opened file (format, hyperparameters, stored tensors, GGUF metadata).</summary>
    public ModelFile File { get; }

    /// <summary>The hyperparameters.</summary>
    public TransformerConfig Config => File.Config;

    /// <summary>The tokenizer, or null for a model that carries none (work with token ids then).</summary>
    public ModelTokenizer? Tokenizer { get; }

    /// <summary>The backend the forward pass runs on.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>The weights on the backend.</summary>
    public TransformerModel Transformer { get; }

    /// <summary>Opens <paramref name="path"/> (GGUF, llama2.c or a Hugging Face checkpoint folder) and places its weights on the device.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="Formats.ModelFormatException">The file is malformed or unsupported.</exception>
    public static LanguageModel Load(string path, LanguageModelOptions? options = null)
    {
        options ??= new LanguageModelOptions();
        var file = ModelFile.Open(path);
        IComputeBackend? backend = null;
        try
        {
            var tokenizer = ReadTokenizer(file);
            if (tokenizer is not null && tokenizer.VocabularySize != file.Config.VocabularySize)
            {
                throw new Formats.ModelFormatException(
                    $"tokenizer has {tokenizer.VocabularySize} tokens but the model's vocabulary is {file.Config.VocabularySize}");
            }
            backend = BackendFactory.Create(options.Device, options.Threads);
            if (options.Device == ComputeDevice.Auto && file.Weights.Named().Any(t => !backend.Supports(t.Tensor.Type)))
            {
                // Auto means "best that works": a GPU backend without kernels for a type gives way to the CPU.
                backend.Dispose();
                backend = BackendFactory.Create(ComputeDevice.Cpu, options.Threads);
            }
            var transformer = TransformerModel.Create(file.Config, file.Weights, backend);
            return new LanguageModel(file, tokenizer, backend, transformer);
        }
        catch
        {
            backend?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Starts an inference session (its own KV cache) of at most <paramref name="contextLength"/> positions.</summary>
    public InferenceSession CreateSession(int? contextLength = null) =>
        Transformer.CreateSession(new SessionOptions(ContextLength: contextLength));

    private static ModelTokenizer? ReadTokenizer(ModelFile file)
    {
        // A Hugging Face checkpoint's Metadata holds its tokenizer.json converted to tokenizer.ggml.* keys.
        var metadata = file.Metadata;
        if (metadata is null || metadata.GetBoolOrNull(PlaceholderVocabulary.MarkerKey) == true)
        {
            return null;
        }
        return ModelTokenizer.FromGguf(metadata);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Transformer.Dispose();
        Backend.Dispose();
        File.Dispose();
    }
}
