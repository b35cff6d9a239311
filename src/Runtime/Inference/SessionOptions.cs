namespace QuantRuntime.Inference;

/// <summary>Options of an <see cref="InferenceSession"/>.</summary>
/// <param name="ContextLength">Positions the KV cache holds; null for the model's trained context length.</param>
/// <param name="BatchSize">Most tokens evaluated in one forward pass; longer inputs run in chunks.</param>
public sealed record SessionOptions(int? ContextLength = null, int BatchSize = 256);
