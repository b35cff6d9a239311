using System.Text;

namespace QuantRuntime.Extensions.AI;

/// <summary>
/// Streams text with the whitespace at both ends removed: leading whitespace is dropped, and a
/// trailing run of whitespace is held back until non-whitespace follows it (so it is dropped when
/// the text ends). Joined, the pieces equal the whole text trimmed.
/// </summary>
internal sealed class EdgeWhitespaceTrimmer
{
    private readonly StringBuilder _held = new();
    private bool _started;

    /// <summary>Adds text; returns what can be shown now.</summary>
    public string Push(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }
        if (!_started)
        {
            text = text.TrimStart();
            if (text.Length == 0)
            {
                return string.Empty;
            }
            _started = true;
        }
        int end = text.Length;
        while (end > 0 && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }
        if (end == 0)
        {
            _held.Append(text);
            return string.Empty;
        }
        string shown = _held.Length > 0 ? _held.ToString() + text[..end] : text[..end];
        _held.Clear().Append(text, end, text.Length - end);
        return shown;
    }
}
