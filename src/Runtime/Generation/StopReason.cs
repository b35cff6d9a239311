namespace QuantRuntime.Generation;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary><see cref="GenerationRequest.MaxTokens"/> tokens were produced.</summary>
    MaxTokens,

    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>The output produced a stop sequence.</summary>
    StopSequence,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}
