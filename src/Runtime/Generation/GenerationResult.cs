namespace QuantRuntime.Generation;

/// <summary>The outcome of one generation: the ids, the text, and how fast it went.</summary>
/// <param name="PromptIds">The prompt as evaluated (BOS included when added).</param>
/// <param name="GeneratedIds">The generated ids (an end-of-generation token that stopped it included).</param>
/// <param name="Text">The generated text, or null when the model has no tokenizer.</param>
/// <param name="StopReason">Why generation ended.</param>
/// <param name="PromptSeconds">Time to evaluate the prompt.</param>
/// <param name="GenerationSeconds">Time to produce the generated tokens (evaluation and sampling).</param>
public sealed record GenerationResult(
    IReadOnlyList<int> PromptIds,
    IReadOnlyList<int> GeneratedIds,
    string? Text,
    StopReason StopReason,
    double PromptSeconds,
    double GenerationSeconds)
{
    /// <summary>Prompt tokens per second.</summary>
    public double PromptTokensPerSecond => PromptSeconds > 0 ? PromptIds.Count / PromptSeconds : 0;

    /// <summary>Generated tokens per second.</summary>
    public double GeneratedTokensPerSecond => GenerationSeconds > 0 ? GeneratedIds.Count / GenerationSeconds : 0;
}
