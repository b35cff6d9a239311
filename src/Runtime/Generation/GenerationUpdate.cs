namespace QuantRuntime.Generation;

/// <summary>
/// One item of a generation stream: a token with the text it completes, or, last, the result.
/// A struct, so streaming costs no allocation beyond the text itself.
/// </summary>
/// <param name="TokenId">The generated id (-1 on the final update).</param>
/// <param name="Text">Text this token completes (may be empty: a character split across tokens, or text held back because it may begin a stop sequence).</param>
/// <param name="Result">Set on the final update only.</param>
public readonly record struct GenerationUpdate(int TokenId, string Text, GenerationResult? Result)
{
    /// <summary>Whether this is the final update carrying the <see cref="Result"/>.</summary>
    public bool IsFinal => Result is not null;
}
