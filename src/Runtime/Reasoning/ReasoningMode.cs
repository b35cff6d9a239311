namespace QuantRuntime.Reasoning;

/// <summary>How <see cref="ChainOfThoughtDecoder"/> answers.</summary>
public enum ReasoningMode
{
    /// <summary>No thoughts: the answer straight after the prompt (after an empty thought, <c>&lt;think&gt;&lt;/think&gt;</c>, for models with thinking tags).</summary>
    Direct,

    /// <summary>One chain of thought, then the answer generated from prompt + thoughts.</summary>
    ChainOfThought,

    /// <summary>Several sampled chains sharing the prompt's KV cache; the answer most of them reach wins.</summary>
    SelfConsistency,
}

/// <summary>How the thought phase is opened and closed.</summary>
public enum ThoughtFormat
{
    /// <summary>The model's own thinking tags when its vocabulary or chat template has them, else the trigger phrases.</summary>
    Auto,

    /// <summary>Thinking tags (<see cref="ReasoningOptions.Tags"/>, or the model's); an error when there are none.</summary>
    Tags,

    /// <summary>Plain-text triggers (<see cref="ReasoningOptions.ThoughtTrigger"/>, <see cref="ReasoningOptions.AnswerTrigger"/>), for models that were not trained to think.</summary>
    Trigger,
}

/// <summary>Why a chain's thought phase ended.</summary>
public enum ThoughtEnd
{
    /// <summary>No thought phase (direct mode).</summary>
    None,

    /// <summary>The model wrote the closing tag.</summary>
    EndTag,

    /// <summary>The model wrote a thought stop sequence (the tokens that formed it were taken back).</summary>
    StopSequence,

    /// <summary>The model produced an end-of-generation token; the closing tag was appended in its place.</summary>
    EndOfGeneration,

    /// <summary>The budget (or the context) ran out: the closing message (when the context has room for it) and the closing tag were injected.</summary>
    Budget,
}

/// <summary>Why a chain's answer ended.</summary>
public enum AnswerEnd
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>A line break followed the first non-blank text (<see cref="ReasoningOptions.AnswerEndsAtLineBreak"/>).</summary>
    LineBreak,

    /// <summary>The model wrote an answer stop sequence.</summary>
    StopSequence,

    /// <summary><see cref="ReasoningOptions.MaxAnswerTokens"/> tokens were produced.</summary>
    MaxTokens,
}
