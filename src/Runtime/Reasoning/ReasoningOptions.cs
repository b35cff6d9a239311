using System.Text.RegularExpressions;
using QuantRuntime.Generation;

namespace QuantRuntime.Reasoning;

/// <summary>
/// How <see cref="ChainOfThoughtDecoder"/> thinks and answers. Immutable: derive variants with
/// <c>with</c>. Every default is chosen for a model with thinking tags (such as the project's demo
/// model) and works for plain models through the trigger phrases.
/// </summary>
public sealed record ReasoningOptions
{
    /// <summary>Llama.cpp-style text injected when the thought budget runs out (Qwen3's documented budget message).</summary>
    public const string DefaultClosingMessage =
        "\n\nConsidering the limited time by the user, I have to give the solution based on the thinking directly now.\n";

    /// <summary>The zero-shot chain-of-thought trigger (Kojima et al.).</summary>
    public const string DefaultThoughtTrigger = " Let's think step by step.";

    /// <summary>The answer trigger used for models without thinking tags.</summary>
    public const string DefaultAnswerTrigger = "\nTherefore, the answer is";

    /// <summary>Sampling of self-consistency chains when <see cref="Sampling"/> is not set.</summary>
    public static SamplingOptions DefaultSelfConsistencySampling { get; } = new(Temperature: 0.7f, TopK: 40, TopP: 0.95f, MinP: 0.05f);

    /// <summary>Direct, chain of thought (the default) or self-consistency.</summary>
    public ReasoningMode Mode { get; init; } = ReasoningMode.ChainOfThought;

    /// <summary>
    /// Most thought tokens the model may write per chain before the closing message is injected; null
    /// for as many as the context allows (keeping room for the closing tag and
    /// <see cref="ChainOfThoughtDecoder.MinimumAnswerRoom"/> answer tokens; the closing message then goes in only if it still fits).
    /// </summary>
    public int? Budget { get; init; }

    /// <summary>Chains sampled in <see cref="ReasoningMode.SelfConsistency"/>.</summary>
    public int Samples { get; init; } = 5;

    /// <summary>How tokens are chosen; null for greedy in direct and chain-of-thought modes and <see cref="DefaultSelfConsistencySampling"/> for self-consistency. Chain i samples with seed <c>Seed + i</c>.</summary>
    public SamplingOptions? Sampling { get; init; }

    /// <summary>
    /// A regular expression that finds the answer in the answer text: the first capture group (or the
    /// whole match when it has none). Null for the trimmed first non-blank line. A chain whose answer
    /// text does not match has no answer and no vote.
    /// </summary>
    public string? AnswerPattern { get; init; }

    /// <summary>Thinking tags or trigger phrases; <see cref="ThoughtFormat.Auto"/> uses the model's tags when it has some.</summary>
    public ThoughtFormat Format { get; init; } = ThoughtFormat.Auto;

    /// <summary>Thinking tags to use instead of the ones detected in the model.</summary>
    public ThinkingTags? Tags { get; init; }

    /// <summary>Text that opens the thoughts of a model without tags.</summary>
    public string ThoughtTrigger { get; init; } = DefaultThoughtTrigger;

    /// <summary>Text appended after the thoughts (and in direct mode after the prompt) before the answer; null for none with tags and <see cref="DefaultAnswerTrigger"/> without.</summary>
    public string? AnswerTrigger { get; init; }

    /// <summary>Text injected when the budget runs out, before the closing tag (or the answer trigger).</summary>
    public string ClosingMessage { get; init; } = DefaultClosingMessage;

    /// <summary>Texts that end the thoughts when the model writes them (besides the closing tag and end of generation); the tokens that formed one are taken back.</summary>
    public IReadOnlyList<string> ThoughtStopSequences { get; init; } = [];

    /// <summary>Texts that end the answer; they are not part of it.</summary>
    public IReadOnlyList<string> AnswerStopSequences { get; init; } = [];

    /// <summary>Whether the answer ends at the first line break after non-blank text.</summary>
    public bool AnswerEndsAtLineBreak { get; init; } = true;

    /// <summary>Most tokens of an answer.</summary>
    public int MaxAnswerTokens { get; init; } = 64;

    /// <summary>Whether to measure the information the thoughts carry about the answer (one teacher-forced pass over the answer).</summary>
    public bool ComputeInformationGain { get; init; } = true;

    /// <summary>The sampling in force for <see cref="Mode"/>.</summary>
    public SamplingOptions EffectiveSampling =>
        Sampling ?? (Mode == ReasoningMode.SelfConsistency ? DefaultSelfConsistencySampling : SamplingOptions.Greedy);

    /// <summary>Number of chains <see cref="Mode"/> runs.</summary>
    public int ChainCount => Mode == ReasoningMode.SelfConsistency ? Samples : 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentException($"unknown reasoning mode {Mode}");
        }
        if (!Enum.IsDefined(Format))
        {
            throw new ArgumentException($"unknown thought format {Format}");
        }
        if (Budget < 0)
        {
            throw new ArgumentException($"thought budget {Budget} must be >= 0");
        }
        if (Samples < 1)
        {
            throw new ArgumentException($"samples {Samples} must be >= 1");
        }
        if (MaxAnswerTokens < 1)
        {
            throw new ArgumentException($"max answer tokens {MaxAnswerTokens} must be >= 1");
        }
        ArgumentNullException.ThrowIfNull(ThoughtTrigger);
        ArgumentNullException.ThrowIfNull(ClosingMessage);
        ArgumentNullException.ThrowIfNull(ThoughtStopSequences);
        ArgumentNullException.ThrowIfNull(AnswerStopSequences);
        if (ThoughtStopSequences.Any(string.IsNullOrEmpty) || AnswerStopSequences.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("stop sequences must not be empty");
        }
        if (Tags is not null && (string.IsNullOrEmpty(Tags.Open) || string.IsNullOrEmpty(Tags.Close)))
        {
            throw new ArgumentException("thinking tags must not be empty");
        }
        EffectiveSampling.Validate();
        _ = CreateAnswerRegex();
    }

    /// <summary>The compiled <see cref="AnswerPattern"/>, or null.</summary>
    internal Regex? CreateAnswerRegex()
    {
        if (AnswerPattern is null)
        {
            return null;
        }
        try
        {
            return new Regex(AnswerPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"answer pattern '{AnswerPattern}' is not a valid regular expression: {e.Message}");
        }
    }
}
