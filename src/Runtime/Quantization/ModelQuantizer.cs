using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Quantization;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Quantization;

/// <summary>Quantizes a model's tensors in memory by a <see cref="QuantizationOptions"/> and the <see cref="TensorTypePolicy"/>.</summary>
public static class ModelQuantizer
{
    /// <summary>Quantizes every tensor of <paramref name="weights"/>; rows run in parallel, with results independent of the thread count.</summary>
    /// <param name="weights">The source tensors, of any supported type.</param>
    /// <param name="options">Scheme, method, output head, importance.</param>
    /// <param name="progress">Told about each tensor when it is done.</param>
    /// <param name="threads">Worker threads; 0 for one per core.</param>
    /// <param name="cancellationToken">Stops between rows.</param>
    public static QuantizationResult Quantize(TransformerWeights weights, QuantizationOptions options,
        IProgress<TensorQuantizationRecord>? progress = null, int threads = 0, CancellationToken cancellationToken = default)
    {
        if (options.Method == QuantizationMethod.Search && !GroupScaleSearch.Supports(options.Scheme.Type))
        {
            throw new ArgumentException($"--method search needs a quantized scheme; '{options.Scheme.Name}' is not one");
        }
        var records = new List<TensorQuantizationRecord>();
        var quantized = weights.Map((name, tensor) =>
        {
            var (type, note) = TensorTypePolicy.Choose(tensor, weights.IsOutputHead(name), options);
            var result = type == tensor.Type ? tensor : Encode(tensor, type, options, threads, cancellationToken);
            var record = new TensorQuantizationRecord(name, tensor.Type, type, (long)tensor.Rows * tensor.Columns, tensor.Data.Length, result.Data.Length, note);
            records.Add(record);
            progress?.Report(record);
            return result;
        });
        return new QuantizationResult(quantized, records);
    }

    /// <summary>Re-encodes one tensor as <paramref name="type"/>.</summary>
    public static HostTensor Encode(HostTensor tensor, TensorType type, QuantizationOptions options, int threads = 0, CancellationToken cancellationToken = default)
    {
        int rowBytes = checked((int)TensorTypeInfo.Of(type).ByteCount(tensor.Columns));
        var bytes = new byte[checked((long)rowBytes * tensor.Rows)];
        bool search = options.Method == QuantizationMethod.Search && GroupScaleSearch.Supports(type);
        float[]? importance = search ? options.Importance?.For(tensor) : null;
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, tensor.Rows, parallel, () => new float[tensor.Columns], (r, _, row) =>
        {
            RowDecoder.Decode(tensor.Type, tensor.Row(r), row);
            var destination = bytes.AsSpan(r * rowBytes, rowBytes);
            if (search)
            {
                GroupScaleSearch.Encode(type, row, importance, destination);
            }
            else
            {
                RowEncoder.Encode(type, row, destination);
            }
            return row;
        }, _ => { });
        return new HostTensor(type, tensor.Rows, tensor.Columns, bytes);
    }
}
