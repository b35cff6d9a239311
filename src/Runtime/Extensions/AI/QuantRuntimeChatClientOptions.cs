using QuantRuntime.Chat;
using QuantRuntime.Generation;

namespace QuantRuntime.Extensions.AI;

/// <summary>
/// Settings of a <see cref="QuantRuntimeChatClient"/>: the defaults every request starts from.
/// A request's <see cref="Microsoft.Extensions.AI.ChatOptions"/> override them field by field
/// (docs/PACKAGING.md has the mapping table). Immutable: derive variants with <c>with</c>.
/// </summary>
public sealed record QuantRuntimeChatClientOptions
{
    /// <summary>The model id reported in <see cref="Microsoft.Extensions.AI.ChatClientMetadata"/> and on every response; null for the GGUF <c>general.name</c>, else the file name without its extension.</summary>
    public string? ModelId { get; init; }

    /// <summary>The chat template to render conversations with; null for the one detected in the model (plain text when it has none).</summary>
    public ChatTemplate? Template { get; init; }

    /// <summary>
    /// Sampling when a request does not say otherwise: greedy (temperature 0) with the runtime's
    /// top-k 40, top-p 0.95, min-p 0.05 and seed 42, as <c>quant chat</c>. A request's
    /// Temperature, TopP, TopK and Seed replace the matching fields.
    /// </summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Most tokens of the answer (the <see cref="Microsoft.Extensions.AI.TextContent"/>) when a request sets no MaxOutputTokens.</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>
    /// Whether the model thinks before answering when a request does not say (through
    /// <see cref="Microsoft.Extensions.AI.ChatOptions.Reasoning"/>): null thinks when the model has
    /// thinking tags (<c>&lt;think&gt;</c>…), which is how such models are meant to be used; true
    /// thinks with any model (trigger phrases for models without tags); false answers directly.
    /// </summary>
    public bool? EnableThinking { get; init; }

    /// <summary>Most thought tokens per request when the request sets neither a reasoning effort nor <see cref="QuantRuntimeChatClient.ReasoningBudgetKey"/>; null for as many as the context allows.</summary>
    public int? ReasoningBudget { get; init; }

    /// <summary>Whether the thoughts are returned as <see cref="Microsoft.Extensions.AI.TextReasoningContent"/> when a request does not set <see cref="Microsoft.Extensions.AI.ReasoningOptions.Output"/>.</summary>
    public bool IncludeReasoning { get; init; } = true;

    /// <summary>Whether disposing the client disposes the model too (set by <see cref="QuantRuntimeChatClient.Load"/>).</summary>
    public bool OwnsModel { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Sampling);
        Sampling.Validate();
        if (MaxOutputTokens < 1)
        {
            throw new ArgumentException($"max output tokens {MaxOutputTokens} must be >= 1");
        }
        if (ReasoningBudget < 0)
        {
            throw new ArgumentException($"reasoning budget {ReasoningBudget} must be >= 0");
        }
        if (ModelId is not null && string.IsNullOrWhiteSpace(ModelId))
        {
            throw new ArgumentException("the model id must not be blank");
        }
    }
}
