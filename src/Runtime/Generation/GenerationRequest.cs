namespace QuantRuntime.Generation;

/// <summary>What to generate: a prompt (text or ids), how many tokens, how to sample, when to stop.</summary>
public sealed record GenerationRequest
{
    /// <summary>Prompt text, tokenized with the model's tokenizer. Exactly one of this and <see cref="PromptIds"/> is set.</summary>
    public string? Prompt { get; init; }

    /// <summary>Prompt token ids, used as given (no BOS is added).</summary>
    public IReadOnlyList<int>? PromptIds { get; init; }

    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>How to choose each token.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Whether to add BOS before a text prompt; null follows the tokenizer's own flag.</summary>
    public bool? AddBos { get; init; }

    /// <summary>Texts that end generation when produced; they are not part of the output.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Whether end-of-generation tokens (EOS, EOT) end generation.</summary>
    public bool StopAtEndOfGeneration { get; init; } = true;

    /// <summary>Positions of the KV cache; null for the model's context length.</summary>
    public int? ContextLength { get; init; }
}
