namespace QuantRuntime.Training.Evaluation;

/// <summary>How the evaluator asks each question.</summary>
public enum EvaluationMode
{
    /// <summary>Greedy decoding from the bare question: the model opens its own thoughts.</summary>
    ChainOfThought,

    /// <summary>Greedy decoding after a forced empty thought (<c>&lt;think&gt;&lt;/think&gt;</c>): the answer without working.</summary>
    Direct,

    /// <summary>Several sampled chains of thought (the thought opened for them); the most frequent answer wins (ties: the one seen first).</summary>
    SelfConsistency,
}
