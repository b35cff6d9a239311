namespace QuantRuntime.Training.Data;

/// <summary>One tokenized training text.</summary>
/// <param name="Tokens">BOS, the question, the completion and EOS.</param>
/// <param name="LossStart">Index of the first token that is scored (the <c>&lt;think&gt;</c> that opens the completion):
/// the loss covers predicting <c>Tokens[LossStart..]</c>, not the question.</param>
public sealed record TrainingExample(int[] Tokens, int LossStart)
{
    /// <summary>Number of scored tokens.</summary>
    public int ScoredTokens => Tokens.Length - LossStart;
}
