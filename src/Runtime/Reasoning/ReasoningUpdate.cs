namespace QuantRuntime.Reasoning;

/// <summary>What a <see cref="ReasoningUpdate"/> carries.</summary>
public enum ReasoningUpdateKind
{
    /// <summary>Text of the model's thoughts (one token; empty while a character or a possible stop sequence is held back).</summary>
    Thought,

    /// <summary>Text the decoder inserted: the thought trigger, the closing message at the budget, the answer trigger (tags are not shown).</summary>
    Injected,

    /// <summary>Text of the answer (one token; may be empty likewise).</summary>
    Answer,

    /// <summary>A chain has finished; <see cref="ReasoningUpdate.Chain"/> holds it.</summary>
    ChainCompleted,

    /// <summary>The last update; <see cref="ReasoningUpdate.Result"/> holds the outcome.</summary>
    Completed,
}

/// <summary>
/// One item of a reasoning stream. Chains stream one after another (self-consistency); each token
/// update names its chain. A struct, so streaming allocates nothing beyond the text.
/// </summary>
/// <param name="Kind">What the update carries.</param>
/// <param name="ChainIndex">The chain the update belongs to (0 for the final update).</param>
/// <param name="TokenId">The token of a thought or answer update; −1 for text released at the end of a phase and for other kinds.</param>
/// <param name="Text">Text to show (thought, injected or answer text); empty otherwise.</param>
/// <param name="Chain">The finished chain, on <see cref="ReasoningUpdateKind.ChainCompleted"/>.</param>
/// <param name="Result">The outcome, on <see cref="ReasoningUpdateKind.Completed"/>.</param>
public readonly record struct ReasoningUpdate(
    ReasoningUpdateKind Kind,
    int ChainIndex,
    int TokenId,
    string Text,
    ReasoningChain? Chain = null,
    ReasoningResult? Result = null);
