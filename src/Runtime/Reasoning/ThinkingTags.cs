using QuantRuntime.Tokenization;

namespace QuantRuntime.Reasoning;

/// <summary>The pair of tags a reasoning model writes its thoughts between, such as <c>&lt;think&gt;</c> … <c>&lt;/think&gt;</c>.</summary>
/// <param name="Open">The tag that opens the thoughts.</param>
/// <param name="Close">The tag that closes them; the answer follows.</param>
public sealed record ThinkingTags(string Open, string Close)
{
    /// <summary><c>&lt;think&gt;</c> … <c>&lt;/think&gt;</c> (DeepSeek-R1, Qwen3, QwQ, Phi-4-reasoning, the project's demo model).</summary>
    public static ThinkingTags Think { get; } = new("<think>", "</think>");

    /// <summary>The pairs <see cref="Detect"/> looks for, in order.</summary>
    public static IReadOnlyList<ThinkingTags> Known { get; } =
    [
        Think,
        new("[THINK]", "[/THINK]"),
        new("<thinking>", "</thinking>"),
        new("<|START_THINKING|>", "<|END_THINKING|>"),
        new("<|begin_of_thought|>", "<|end_of_thought|>"),
    ];

    /// <summary>
    /// The tags a model uses: the first <see cref="Known"/> pair whose tags are each a single token
    /// of the vocabulary, else the first pair its chat template mentions; null when neither.
    /// </summary>
    public static ThinkingTags? Detect(ModelTokenizer tokenizer, string? chatTemplate)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        foreach (var tags in Known)
        {
            if (IsSingleToken(tokenizer, tags.Open) && IsSingleToken(tokenizer, tags.Close))
            {
                return tags;
            }
        }
        if (chatTemplate is not null)
        {
            foreach (var tags in Known)
            {
                if (chatTemplate.Contains(tags.Open, StringComparison.Ordinal) && chatTemplate.Contains(tags.Close, StringComparison.Ordinal))
                {
                    return tags;
                }
            }
        }
        return null;
    }

    /// <summary>The id of <paramref name="text"/> when the vocabulary holds it as one token, else null.</summary>
    public static int? SingleTokenId(ModelTokenizer tokenizer, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(text);
        var ids = tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: true);
        return ids.Count == 1 && tokenizer.GetTokenText(ids[0]) == text ? ids[0] : null;
    }

    private static bool IsSingleToken(ModelTokenizer tokenizer, string text) => SingleTokenId(tokenizer, text) is not null;
}
