using System.Text.RegularExpressions;

namespace QuantRuntime.Tokenization;

/// <summary>
/// Splits text into pre-tokenizer words the way llama.cpp's <c>unicode_regex_split</c> does: each
/// pattern re-splits every current word, matches become words, and the unmatched text between
/// them becomes words too (so nothing is ever dropped).
/// </summary>
internal static class RegexWordSplitter
{
    /// <summary>Appends the words of <paramref name="text"/> as (start, length) in <paramref name="text"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, IReadOnlyList<Regex> patterns, List<(int Start, int Length)> words)
    {
        string? folded = CodepointFolding.Fold(text, out int[]? offsets);
        ReadOnlySpan<char> input = folded ?? text;
        var current = new List<(int Start, int Length)> { (0, input.Length) };
        var next = new List<(int Start, int Length)>();
        foreach (var pattern in patterns)
        {
            next.Clear();
            foreach (var (start, length) in current)
            {
                int cursor = 0;
                foreach (var match in pattern.EnumerateMatches(input.Slice(start, length)))
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }
                    if (match.Index > cursor)
                    {
                        next.Add((start + cursor, match.Index - cursor));
                    }
                    next.Add((start + match.Index, match.Length));
                    cursor = match.Index + match.Length;
                }
                if (cursor < length)
                {
                    next.Add((start + cursor, length - cursor));
                }
            }
            (current, next) = (next, current);
        }
        foreach (var (start, length) in current)
        {
            words.Add(offsets is null ? (start, length) : (offsets[start], offsets[start + length] - offsets[start]));
        }
    }
}
