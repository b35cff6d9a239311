using System.Text;

namespace QuantRuntime.Tokenization;

/// <summary>
/// Cuts text into raw fragments and special tokens exactly as llama.cpp's
/// <c>tokenizer_st_partition</c>: special tokens (control, user-defined and unknown) are tried
/// longest first (by UTF-8 length), each one splitting every raw fragment left at its first and
/// following occurrences. User-defined tokens are always split out; control and unknown ones only
/// when special tokens are parsed. A regex alternation would pick the leftmost match instead and
/// differ when special texts overlap.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly (string Text, int Id, bool NeedsParseSpecial)[] _tokens;

    public SpecialTokenSplitter(TokenizerVocabulary vocabulary)
    {
        var tokens = new List<(string Text, int Id, bool NeedsParseSpecial, int Bytes)>();
        for (int id = 0; id < vocabulary.Tokens.Length; id++)
        {
            var type = vocabulary.Types[id];
            bool controlLike = vocabulary.IsControlLike(id);
            if (controlLike || type == TokenType.UserDefined)
            {
                string text = vocabulary.Tokens[id];
                tokens.Add((text, id, controlLike, Encoding.UTF8.GetByteCount(text)));
            }
        }
        // Stable: equal lengths keep id order (llama.cpp's std::sort leaves that order unspecified).
        _tokens = [.. tokens.OrderByDescending(t => t.Bytes).Select(t => (t.Text, t.Id, t.NeedsParseSpecial))];
    }

    /// <summary>
    /// The fragments of <paramref name="text"/> in order: a raw span has <c>Token</c> -1, a special
    /// token has an empty span and its id.
    /// </summary>
    public List<(int Start, int Length, int Token)> Split(string text, bool parseSpecial)
    {
        var fragments = new List<(int Start, int Length, int Token)>();
        if (text.Length == 0)
        {
            return fragments;
        }
        fragments.Add((0, text.Length, -1));
        var next = new List<(int Start, int Length, int Token)>();
        foreach (var (special, id, needsParseSpecial) in _tokens)
        {
            if (needsParseSpecial && !parseSpecial)
            {
                continue;
            }
            next.Clear();
            bool changed = false;
            foreach (var fragment in fragments)
            {
                if (fragment.Token >= 0)
                {
                    next.Add(fragment);
                    continue;
                }
                int start = fragment.Start, end = fragment.Start + fragment.Length;
                int match;
                while (start < end && (match = text.AsSpan(start, end - start).IndexOf(special, StringComparison.Ordinal)) >= 0)
                {
                    changed = true;
                    if (match > 0)
                    {
                        next.Add((start, match, -1));
                    }
                    next.Add((start + match, 0, id));
                    start += match + special.Length;
                }
                if (start < end)
                {
                    next.Add((start, end - start, -1));
                }
            }
            if (changed)
            {
                (fragments, next) = (next, fragments);
            }
        }
        return fragments;
    }
}
