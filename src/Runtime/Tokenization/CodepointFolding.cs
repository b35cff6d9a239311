using System.Globalization;
using System.Text;

namespace QuantRuntime.Tokenization;

/// <summary>
/// Folds every supplementary-plane code point (a UTF-16 surrogate pair) into one BMP character of
/// the same Unicode category. .NET regular expressions see the two halves of a pair as separate
/// characters of category Cs, so <c>\p{L}</c> misses 𝐀 or 𠀀 and <c>[^\r\n\p{L}\p{N}]?</c> can take
/// half an emoji; llama.cpp matches whole code points. Splitting the folded text and mapping the
/// offsets back gives llama.cpp's code-point semantics. (llama.cpp itself folds non-ASCII code
/// points to one stand-in byte per category for the same reason.)
/// </summary>
internal static class CodepointFolding
{
    /// <summary>
    /// The folded text, or null when <paramref name="text"/> has no surrogates (the common case,
    /// which then costs one vectorised scan). <paramref name="offsets"/>[i] is the index in
    /// <paramref name="text"/> of folded character i, plus one final entry for the end.
    /// </summary>
    public static string? Fold(ReadOnlySpan<char> text, out int[]? offsets)
    {
        offsets = null;
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return null;
        }
        var folded = new StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            map.Add(i);
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int consumed);
            folded.Append(consumed == 2 ? StandIn(Rune.GetUnicodeCategory(rune)) : (char)rune.Value);
            i += consumed;
        }
        map.Add(text.Length);
        offsets = [.. map];
        return folded.ToString();
    }

    // Each stand-in is a non-ASCII BMP character of exactly that category, so \p{..}, \s and the
    // ASCII-only classes of the patterns treat it as they would the original code point.
    private static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u00C0',
        UnicodeCategory.LowercaseLetter => '\u00DF',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u00AA',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        UnicodeCategory.OtherPunctuation => '\u00A1',
        UnicodeCategory.MathSymbol => '\u00AC',
        UnicodeCategory.CurrencySymbol => '\u00A2',
        UnicodeCategory.ModifierSymbol => '\u00A8',
        UnicodeCategory.OtherSymbol => '\u00A6',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned
    };
}
