namespace QuantRuntime.Training.Model;

/// <summary>The tensors of one transformer block in the flat parameter array.</summary>
internal sealed record LayerSlots(
    TensorSlot AttentionNorm,
    TensorSlot Query,
    TensorSlot Key,
    TensorSlot Value,
    TensorSlot AttentionOutput,
    TensorSlot FeedForwardNorm,
    TensorSlot Gate,
    TensorSlot Up,
    TensorSlot Down);
