namespace QuantRuntime.Reasoning;

/// <summary>One chain: its thoughts, its answer and how likely the model found that answer.</summary>
/// <param name="Index">Position of the chain (0 for the only chain outside self-consistency).</param>
/// <param name="Thoughts">The text the model wrote while thinking (injected text not included).</param>
/// <param name="ThoughtIds">The thought tokens, as held in the KV cache.</param>
/// <param name="ThoughtEnd">Why the thoughts ended.</param>
/// <param name="AnswerText">The text generated after the thoughts (and the answer trigger), stop text excluded.</param>
/// <param name="Answer">The answer found in <paramref name="AnswerText"/> by the answer pattern; null when none matched.</param>
/// <param name="AnswerIds">
/// The answer's tokens as scored: those of <paramref name="AnswerText"/> plus the end-of-generation token
/// when the model ended the answer with one (so their probability is that of exactly this answer).
/// </param>
/// <param name="AnswerEnd">Why the answer ended.</param>
/// <param name="AnswerLogProbability">Σ ln p of <paramref name="AnswerIds"/> under the model, each given everything before it (untempered, unfiltered).</param>
/// <param name="ThoughtSeconds">Time spent thinking (sampling and evaluation, injection included).</param>
/// <param name="AnswerSeconds">Time spent answering.</param>
public sealed record ReasoningChain(
    int Index,
    string Thoughts,
    IReadOnlyList<int> ThoughtIds,
    ThoughtEnd ThoughtEnd,
    string AnswerText,
    string? Answer,
    IReadOnlyList<int> AnswerIds,
    AnswerEnd AnswerEnd,
    double AnswerLogProbability,
    double ThoughtSeconds,
    double AnswerSeconds)
{
    /// <summary>Number of thought tokens.</summary>
    public int ThoughtTokens => ThoughtIds.Count;

    /// <summary>Number of answer tokens scored.</summary>
    public int AnswerTokens => AnswerIds.Count;

    /// <summary>Mean ln p per answer token (the self-consistency tie-break); −∞ for an empty answer.</summary>
    public double MeanAnswerLogProbability => AnswerIds.Count == 0 ? double.NegativeInfinity : AnswerLogProbability / AnswerIds.Count;
}

/// <summary>The chains that reached one answer.</summary>
/// <param name="Answer">The extracted answer.</param>
/// <param name="Count">Chains that reached it.</param>
/// <param name="BestMeanLogProbability">The highest <see cref="ReasoningChain.MeanAnswerLogProbability"/> among them (breaks ties between answers).</param>
/// <param name="BestChain">The index of that chain, which represents the answer.</param>
public sealed record AnswerVote(string Answer, int Count, double BestMeanLogProbability, int BestChain);

/// <summary>
/// How much the thoughts told the model about its answer a: log2 p(a | prompt + thoughts) − log2
/// p(a | prompt), both teacher-forced over the same answer tokens; p(a | prompt) is taken in the
/// direct-mode context (prompt + empty thought for tag models, prompt + answer trigger otherwise).
/// </summary>
/// <param name="Bits">The gain in bits: positive when the thoughts made the answer more likely.</param>
/// <param name="Log2ProbabilityWithThoughts">log2 p(a | prompt + thoughts).</param>
/// <param name="Log2ProbabilityDirect">log2 p(a | prompt).</param>
/// <param name="AnswerTokens">Tokens of a that were scored.</param>
/// <param name="Seconds">Time of the teacher-forced pass.</param>
public sealed record InformationGain(double Bits, double Log2ProbabilityWithThoughts, double Log2ProbabilityDirect, int AnswerTokens, double Seconds);

/// <summary>The outcome of one request to <see cref="ChainOfThoughtDecoder"/>.</summary>
/// <param name="Mode">The mode it ran in.</param>
/// <param name="Tags">The thinking tags used, or null when the trigger phrases were.</param>
/// <param name="Answer">The final answer: the vote's winner (the chosen chain's answer); null when no chain's answer text matched.</param>
/// <param name="Chosen">The chain the answer is taken from (the best-scored chain of the winning answer).</param>
/// <param name="Chains">Every chain, in order.</param>
/// <param name="Votes">Answers by chains reaching them, most votes first (ties: higher mean log-probability first).</param>
/// <param name="Information">The information the chosen chain's thoughts carry about its answer; null when not measured (or the answer is empty).</param>
/// <param name="PromptTokens">Tokens of the prompt evaluated for this request (once, shared by every chain).</param>
/// <param name="PromptSeconds">Time to evaluate them (with the opening tag or trigger).</param>
/// <param name="Seconds">Total time of the request.</param>
public sealed record ReasoningResult(
    ReasoningMode Mode,
    ThinkingTags? Tags,
    string? Answer,
    ReasoningChain Chosen,
    IReadOnlyList<ReasoningChain> Chains,
    IReadOnlyList<AnswerVote> Votes,
    InformationGain? Information,
    int PromptTokens,
    double PromptSeconds,
    double Seconds)
{
    /// <summary>The chosen chain's thoughts.</summary>
    public string Thoughts => Chosen.Thoughts;

    /// <summary>The chosen chain's answer text.</summary>
    public string AnswerText => Chosen.AnswerText;

    /// <summary>Thought tokens over all chains.</summary>
    public int ThoughtTokens => Chains.Sum(c => c.ThoughtTokens);

    /// <summary>Answer tokens over all chains.</summary>
    public int AnswerTokens => Chains.Sum(c => c.AnswerTokens);

    /// <summary>Time spent thinking, over all chains.</summary>
    public double ThoughtSeconds => Chains.Sum(c => c.ThoughtSeconds);

    /// <summary>Time spent answering, over all chains.</summary>
    public double AnswerSeconds => Chains.Sum(c => c.AnswerSeconds);
}
