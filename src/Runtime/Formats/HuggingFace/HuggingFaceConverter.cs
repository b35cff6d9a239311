using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Quantization;

namespace QuantRuntime.Formats.HuggingFace;

/// <summary>A checkpoint converted to GGUF, ready to save.</summary>
/// <param name="Writer">The GGUF image; <c>Save</c> writes it atomically.</param>
/// <param name="Config">The hyperparameters as written (adjacent-pair RoPE for <c>llama</c>).</param>
/// <param name="Tensors">What happened to each tensor, in GGUF order.</param>
/// <param name="PermutedQueryKey">Whether Q/K rows were permuted from half-split to adjacent-pair order.</param>
public sealed record HuggingFaceConversion(GgufWriter Writer, TransformerConfig Config, IReadOnlyList<TensorQuantizationRecord> Tensors, bool PermutedQueryKey)
{
    /// <summary>Storage bits per weight over the whole model, vectors and output head included.</summary>
    public double BitsPerWeight
    {
        get
        {
            long elements = Tensors.Sum(t => t.Elements);
            return elements == 0 ? 0 : Tensors.Sum(t => t.BytesAfter) * 8.0 / elements;
        }
    }
}

/// <summary>
/// Converts a <see cref="HuggingFaceCheckpoint"/> to a GGUF file llama.cpp loads: architecture
/// <c>llama</c> (Llama, Mistral) or <c>qwen2</c>, the tokenizer metadata, vectors in F32 (as llama.cpp
/// wants norms and biases), matrices kept as stored or quantized by a <see cref="QuantizationOptions"/>,
/// and for <c>llama</c> the Q/K rows permuted to the adjacent-pair RoPE order GGUF <c>llama</c> uses.
/// </summary>
public static class HuggingFaceConverter
{
    /// <summary>
    /// Reorders the rows of a query or key projection (or its bias) so that adjacent-pair RoPE computes
    /// what half-split RoPE computes on the original: within each head of <c>d</c> rows, row
    /// <c>2i + j</c> of the result is row <c>j·d/2 + i</c> of the source (llama.cpp's
    /// <c>LlamaModel.permute</c>). A vector (one row) has its elements reordered the same way. Rows
    /// move as encoded bytes, so any storage type is permuted exactly.
    /// </summary>
    /// <param name="tensor">A [heads·d, in] matrix, or a one-row vector of heads·d F32 values.</param>
    /// <param name="heads">Heads the rows (or elements) span.</param>
    /// <exception cref="ArgumentException">The rows do not split into heads of even size, or a vector is not F32.</exception>
    public static HostTensor PermuteHalfSplitToAdjacent(HostTensor tensor, int heads)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        bool vector = tensor.Rows == 1;
        int width = vector ? tensor.Columns : tensor.Rows;
        if (heads <= 0 || width % heads != 0 || width / heads % 2 != 0)
        {
            throw new ArgumentException($"{width} rows do not split into {heads} heads of an even size");
        }
        int headDim = width / heads, half = headDim / 2;
        if (vector)
        {
            if (tensor.Type != TensorType.F32)
            {
                throw new ArgumentException($"a bias to permute must be F32, not {TensorTypeInfo.Of(tensor.Type).Name}");
            }
            var source = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data.Span);
            var values = new float[width];
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < half; i++)
                {
                    values[h * headDim + 2 * i] = source[h * headDim + i];
                    values[h * headDim + 2 * i + 1] = source[h * headDim + half + i];
                }
            }
            return HostTensor.FromFloats(1, width, values);
        }
        int rowBytes = tensor.RowBytes;
        var bytes = new byte[tensor.Data.Length];
        var from = tensor.Data.Span;
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < half; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    int target = h * headDim + 2 * i + j, origin = h * headDim + j * half + i;
                    from.Slice(origin * rowBytes, rowBytes).CopyTo(bytes.AsSpan(target * rowBytes, rowBytes));
                }
            }
        }
        return new HostTensor(tensor.Type, tensor.Rows, tensor.Columns, bytes);
    }

    /// <summary>
    /// The model as GGUF stores it: vectors (norms, biases) in F32, and, when <paramref name="config"/>
    /// rotates half-split pairs but its GGUF architecture rotates adjacent ones (<c>llama</c>), the Q/K
    /// rows permuted and the RoPE style switched. Anything already in GGUF's convention is returned as is.
    /// </summary>
    /// <param name="config">Hyperparameters of <paramref name="weights"/>.</param>
    /// <param name="weights">The tensors, in <paramref name="config"/>'s convention.</param>
    /// <param name="progress">Told each tensor's GGUF name as it is done.</param>
    /// <exception cref="ModelFormatException">The architecture has no GGUF convention this runtime knows.</exception>
    public static (TransformerConfig Config, TransformerWeights Weights, bool Permuted) ToGgufLayout(TransformerConfig config, TransformerWeights weights,
        IProgress<string>? progress = null)
    {
        if (!GgufModelReader.SupportedArchitectures.TryGetValue(config.Architecture, out var ggufStyle))
        {
            throw new ModelFormatException($"architecture '{config.Architecture}' has no GGUF layout this runtime writes");
        }
        bool permute = config.RopeStyle != ggufStyle;
        if (permute && !(config.RopeStyle == RopeStyle.HalfSplit && ggufStyle == RopeStyle.AdjacentPairs))
        {
            throw new ModelFormatException($"cannot convert {config.RopeStyle} RoPE to GGUF '{config.Architecture}' ({ggufStyle})");
        }
        var mapped = weights.Map((name, tensor) =>
        {
            var result = tensor.Rows == 1 ? RowEncoder.Convert(tensor, TensorType.F32) : tensor;
            if (permute && (name.EndsWith(".attn_q.weight", StringComparison.Ordinal) || name.EndsWith(".attn_q.bias", StringComparison.Ordinal)))
            {
                result = PermuteHalfSplitToAdjacent(result, config.HeadCount);
            }
            else if (permute && (name.EndsWith(".attn_k.weight", StringComparison.Ordinal) || name.EndsWith(".attn_k.bias", StringComparison.Ordinal)))
            {
                result = PermuteHalfSplitToAdjacent(result, config.KvHeadCount);
            }
            progress?.Report(name);
            return result;
        });
        return (config with { RopeStyle = ggufStyle }, mapped, permute);
    }

    /// <summary>Converts <paramref name="checkpoint"/> to a GGUF image.</summary>
    /// <param name="checkpoint">The opened checkpoint.</param>
    /// <param name="options">How to quantize the matrices; null keeps them as stored (F32, F16 or BF16).</param>
    /// <param name="progress">Told each tensor's GGUF name as it is done (once per tensor).</param>
    /// <param name="threads">Quantization threads; 0 for one per core.</param>
    /// <param name="cancellationToken">Stops between tensors (and rows while quantizing).</param>
    public static HuggingFaceConversion Convert(HuggingFaceCheckpoint checkpoint, QuantizationOptions? options = null,
        IProgress<string>? progress = null, int threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var layoutProgress = options is null ? progress : null;
        var (config, weights, permuted) = ToGgufLayout(checkpoint.Config, checkpoint.Weights,
            new SynchronousProgress(name =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                layoutProgress?.Report(name);
            }));
        string name = checkpoint.Metadata.GetStringOrNull("general.name") ?? "model";
        if (options is not null)
        {
            var result = ModelQuantizer.Quantize(weights, options,
                progress is null ? null : new SynchronousProgress<TensorQuantizationRecord>(r => progress.Report(r.Name)), threads, cancellationToken);
            var writer = QuantizedModelWriter.Build(config, result, options, checkpoint.Metadata, name);
            return new HuggingFaceConversion(writer, config, [.. result.Tensors], permuted);
        }
        var records = new List<TensorQuantizationRecord>();
        var sources = checkpoint.Weights.Named().ToDictionary(t => t.Name, t => t.Tensor);
        foreach (var (tensorName, tensor) in weights.Named())
        {
            var source = sources[tensorName];
            records.Add(new TensorQuantizationRecord(tensorName, source.Type, tensor.Type, (long)tensor.Rows * tensor.Columns,
                source.Data.Length, tensor.Data.Length, tensor.Rows == 1 && source.Type != TensorType.F32 ? "vector: stored in F32" : null));
        }
        var matrixTypes = weights.Named().Where(t => t.Tensor.Rows > 1).Select(t => t.Tensor.Type).Distinct().ToList();
        // llama.cpp's llama_ftype for a file whose matrices share one float type.
        uint? fileType = matrixTypes is [var only] ? only switch { TensorType.F32 => 0u, TensorType.F16 => 1u, TensorType.BF16 => 32u, _ => null } : null;
        var extra = fileType is { } ft ? new[] { new KeyValuePair<string, GgufValue>("general.file_type", GgufValue.FromUInt32(ft)) } : null;
        var gguf = GgufModelWriter.Build(config, weights, checkpoint.Metadata, name, extra);
        return new HuggingFaceConversion(gguf, config, records, permuted);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
