using System.Text.RegularExpressions;

namespace QuantRuntime.Reasoning;

/// <summary>Finds the answer in an answer text, as <see cref="ReasoningOptions.AnswerPattern"/> says.</summary>
public static class AnswerExtraction
{
    /// <summary>
    /// The answer in <paramref name="answerText"/>: the first capture group of <paramref name="pattern"/>
    /// (or its whole match when it has no group); without a pattern, the first non-blank line, trimmed.
    /// Null when nothing matches.
    /// </summary>
    public static string? Extract(string answerText, string? pattern) =>
        Extract(answerText, pattern is null ? null : new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));

    /// <inheritdoc cref="Extract(string, string?)"/>
    public static string? Extract(string answerText, Regex? pattern)
    {
        ArgumentNullException.ThrowIfNull(answerText);
        if (pattern is null)
        {
            foreach (var line in answerText.AsSpan().EnumerateLines())
            {
                var trimmed = line.Trim();
                if (!trimmed.IsEmpty)
                {
                    return trimmed.ToString();
                }
            }
            return null;
        }
        var match = pattern.Match(answerText);
        if (!match.Success)
        {
            return null;
        }
        return match.Groups.Count > 1 ? (match.Groups[1].Success ? match.Groups[1].Value : null) : match.Value;
    }
}
