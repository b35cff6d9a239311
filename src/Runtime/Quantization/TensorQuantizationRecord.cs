using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Quantization;

/// <summary>What happened to one tensor.</summary>
/// <param name="Name">GGUF tensor name.</param>
/// <param name="From">Stored type before.</param>
/// <param name="To">Stored type after.</param>
/// <param name="Elements">Weights in the tensor.</param>
/// <param name="BytesBefore">Encoded size before.</param>
/// <param name="BytesAfter">Encoded size after.</param>
/// <param name="Note">Why the type differs from the scheme's, if it does (a vector, the output head, a fallback).</param>
public sealed record TensorQuantizationRecord(string Name, TensorType From, TensorType To, long Elements, long BytesBefore, long BytesAfter, string? Note);
