using QuantRuntime.Models;

namespace QuantRuntime.Quantization;

/// <summary>A quantized model held in memory, and what was done to each tensor.</summary>
/// <param name="Weights">The quantized tensors (new arrays; vectors and unchanged tensors may alias the source).</param>
/// <param name="Tensors">One record per tensor, in GGUF order.</param>
public sealed record QuantizationResult(TransformerWeights Weights, IReadOnlyList<TensorQuantizationRecord> Tensors)
{
    /// <summary>Encoded bytes of all tensors before.</summary>
    public long BytesBefore => Tensors.Sum(t => t.BytesBefore);

    /// <summary>Encoded bytes of all tensors after.</summary>
    public long BytesAfter => Tensors.Sum(t => t.BytesAfter);

    /// <summary>Weights in all tensors.</summary>
    public long Elements => Tensors.Sum(t => t.Elements);

    /// <summary>Storage bits per weight over the whole model, vectors and output head included.</summary>
    public double BitsPerWeight => Elements == 0 ? 0 : BytesAfter * 8.0 / Elements;
}
