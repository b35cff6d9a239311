namespace QuantRuntime.Training.Data;

/// <summary>How an arithmetic question is answered.</summary>
public enum ThoughtMode
{
    /// <summary>Step-by-step working between <c>&lt;think&gt;</c> and <c>&lt;/think&gt;</c>, then the answer.</summary>
    ChainOfThought,

    /// <summary>An empty thought (<c>&lt;think&gt;&lt;/think&gt;</c>) and the answer straight away.</summary>
    Direct,
}
