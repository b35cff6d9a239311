namespace QuantRuntime.Inference;

/// <summary>More tokens were asked of a session than its context holds.</summary>
public sealed class ContextOverflowException(string message) : InvalidOperationException(message);
