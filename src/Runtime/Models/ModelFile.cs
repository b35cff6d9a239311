using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Formats.HuggingFace;
using QuantRuntime.Formats.Llama2c;
using QuantRuntime.IO;

namespace QuantRuntime.Models;

/// <summary>
/// A model file opened for use: hyperparameters, zero-copy tensor views into the mapped file,
/// and the GGUF metadata when there is any. The tensors are valid until this is disposed.
/// </summary>
public sealed class ModelFile : IDisposable
{
    private readonly IDisposable _owner;

    private ModelFile(string path, ModelFileFormat format, long size, TransformerConfig config, TransformerWeights weights, GgufFile? gguf, IDisposable owner,
        HuggingFaceCheckpoint? huggingFace = null)
    {
        Path = path;
        Format = format;
        FileSize = size;
        Config = config;
        Weights = weights;
        Gguf = gguf;
        HuggingFace = huggingFace;
        _owner = owner;
    }

    /// <summary>The path the model was opened from.</summary>
    public string Path { get; }

    /// <summary>The file format.</summary>
    public ModelFileFormat Format { get; }

    /// <summary>File size in bytes.</summary>
    public long FileSize { get; }

    /// <summary>The hyperparameters.</summary>
    public TransformerConfig Config { get; }

    /// <summary>The tensors, as stored.</summary>
    public TransformerWeights Weights { get; }

    /// <summary>The parsed GGUF file (metadata and tensor table), or null for other formats.</summary>
    public GgufFile? Gguf { get; }

    /// <summary>The opened Hugging Face checkpoint folder, or null for other formats.</summary>
    public HuggingFaceCheckpoint? HuggingFace { get; }

    /// <summary>
    /// GGUF-style metadata whatever the format: a GGUF file's own, or for a Hugging Face checkpoint
    /// what a conversion would write (<c>general.name</c>, <c>tokenizer.*</c> incl. the chat template);
    /// null for llama2.c.
    /// </summary>
    public GgufMetadata? Metadata => Gguf?.Metadata ?? HuggingFace?.Metadata;

    /// <summary>
    /// Opens a GGUF or llama2.c checkpoint, recognised by its first bytes, or a Hugging Face
    /// checkpoint folder (one with a config.json; see <see cref="HuggingFaceCheckpoint"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is malformed or unsupported.</exception>
    public static ModelFile Open(string path)
    {
        if (Directory.Exists(path))
        {
            if (!HuggingFaceCheckpoint.IsCheckpoint(path))
            {
                throw new ModelFormatException($"'{path}' is a folder, not a model file (nor a Hugging Face checkpoint: no config.json)");
            }
            var checkpoint = HuggingFaceCheckpoint.Open(path);
            return new ModelFile(path, ModelFileFormat.HuggingFace, checkpoint.TotalBytes, checkpoint.Config, checkpoint.Weights, null, checkpoint, checkpoint);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file '{path}' does not exist", path);
        }
        var mapped = MappedFile.Open(path);
        try
        {
            if (mapped.Length >= 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(mapped.Span(0, 4)) == GgufFile.Magic)
            {
                mapped.Dispose();
                var gguf = GgufFile.Open(path);
                try
                {
                    var config = GgufModelReader.ReadConfig(gguf);
                    var weights = GgufModelReader.ReadWeights(gguf, config);
                    return new ModelFile(path, ModelFileFormat.Gguf, gguf.FileLength, config, weights, gguf, gguf);
                }
                catch
                {
                    gguf.Dispose();
                    throw;
                }
            }
            if (System.IO.Path.GetExtension(path).Equals(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                // Named GGUF: the GGUF parser's own complaint (wrong magic, too short) is the useful one.
                mapped.Dispose();
                using var _ = GgufFile.Open(path);
                throw new ModelFormatException("not a GGUF file");
            }
            try
            {
                var (llamaConfig, llamaWeights) = Llama2cCheckpoint.Read(mapped);
                return new ModelFile(path, ModelFileFormat.Llama2c, mapped.Length, llamaConfig, llamaWeights, null, mapped);
            }
            catch (ModelFormatException e) when (!System.IO.Path.GetExtension(path).Equals(".bin", StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException($"neither a GGUF file (no GGUF magic) nor a llama2.c checkpoint ({e.Message})", e);
            }
        }
        catch
        {
            mapped.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();
}
