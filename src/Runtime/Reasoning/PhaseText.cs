using System.Text;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Reasoning;

/// <summary>
/// The text of one phase (thoughts or answer) as its tokens arrive: decodes them without splitting a
/// UTF-8 character, finds stop sequences (and, optionally, the first line break after non-blank
/// text) even across tokens, and releases text only at token boundaries that cannot be part of a
/// stop. When a stop is found the phase keeps only the tokens wholly before it, so the caller can
/// rewind its KV cache to exactly the kept tokens and the kept text is exactly theirs.
/// </summary>
internal sealed class PhaseText
{
    private readonly StreamingDecoder _decoder;
    private readonly string[] _stops;
    private readonly int _longestStop;
    private readonly bool _endAtLineBreak;
    private readonly StringBuilder _text = new();
    private readonly List<int> _ids = [];
    private readonly List<int> _ends = [];
    private char[] _window = [];
    private int _emitted;
    private int _firstContent = -1;

    public PhaseText(ModelTokenizer tokenizer, IEnumerable<string> stops, bool endAtLineBreak)
    {
        _decoder = new StreamingDecoder(tokenizer);
        _stops = [.. stops.Where(s => s.Length > 0).Distinct()];
        _longestStop = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
        _endAtLineBreak = endAtLineBreak;
    }

    /// <summary>Tokens appended so far.</summary>
    public int TokenCount => _ids.Count;

    /// <summary>Whether a stop (or the line break) ended the phase.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Whether it was the line break.</summary>
    public bool StoppedAtLineBreak { get; private set; }

    /// <summary>Tokens kept: all of them, or after a stop those wholly before it.</summary>
    public int KeptTokens { get; private set; }

    /// <summary>The kept tokens.</summary>
    public int[] KeptIds() => [.. _ids.Take(Stopped ? KeptTokens : _ids.Count)];

    /// <summary>The text of the kept tokens.</summary>
    public string Text => _text.ToString();

    /// <summary>Adds a token; returns the text now safe to show (possibly empty).</summary>
    public string Append(int id)
    {
        if (Stopped)
        {
            throw new InvalidOperationException("the phase has stopped");
        }
        int oldLength = _text.Length;
        string piece = _decoder.Append(id);
        _text.Append(piece);
        _ids.Add(id);
        _ends.Add(_text.Length);
        KeptTokens = _ids.Count;
        if (_stops.Length == 0 && !_endAtLineBreak)
        {
            _emitted = _text.Length;
            return piece;
        }
        int stopAt = FindStop(oldLength, out bool lineBreak);
        if (stopAt >= 0)
        {
            Stopped = true;
            StoppedAtLineBreak = lineBreak;
            int kept = _ids.Count;
            while (kept > 0 && _ends[kept - 1] > stopAt)
            {
                kept--;
            }
            KeptTokens = kept;
            int keptEnd = kept == 0 ? 0 : _ends[kept - 1];
            _text.Length = keptEnd;
            return Release(keptEnd);
        }
        int safe = _text.Length - PendingStopPrefix();
        int boundary = _ends.Count;
        while (boundary > 0 && _ends[boundary - 1] > safe)
        {
            boundary--;
        }
        return Release(boundary == 0 ? 0 : _ends[boundary - 1]);
    }

    /// <summary>Ends a phase that did not stop: releases everything held back (an unfinished character as U+FFFD).</summary>
    public string Finish()
    {
        if (!Stopped)
        {
            _text.Append(_decoder.Flush());
        }
        return Release(_text.Length);
    }

    private string Release(int end)
    {
        if (end <= _emitted)
        {
            return string.Empty;
        }
        string text = _text.ToString(_emitted, end - _emitted);
        _emitted = end;
        return text;
    }

    /// <summary>The earliest index where a stop (or the line break) begins, looking only where new text could complete one.</summary>
    private int FindStop(int oldLength, out bool lineBreak)
    {
        int best = -1;
        lineBreak = false;
        if (_endAtLineBreak)
        {
            if (_firstContent < 0)
            {
                for (int i = oldLength; i < _text.Length; i++)
                {
                    if (!char.IsWhiteSpace(_text[i]))
                    {
                        _firstContent = i;
                        break;
                    }
                }
            }
            if (_firstContent >= 0)
            {
                for (int i = Math.Max(oldLength, _firstContent); i < _text.Length; i++)
                {
                    if (_text[i] == '\n')
                    {
                        best = i;
                        lineBreak = true;
                        break;
                    }
                }
            }
        }
        if (_stops.Length > 0)
        {
            int from = Math.Max(0, oldLength - (_longestStop - 1));
            var window = Window(from);
            foreach (string stop in _stops)
            {
                int at = window.IndexOf(stop.AsSpan(), StringComparison.Ordinal);
                if (at >= 0 && (best < 0 || from + at < best))
                {
                    best = from + at;
                    lineBreak = false;
                }
            }
        }
        return best;
    }

    /// <summary>Length of the longest tail of the text that is a proper prefix of a stop.</summary>
    private int PendingStopPrefix()
    {
        if (_stops.Length == 0)
        {
            return 0;
        }
        var tail = Window(Math.Max(0, _text.Length - (_longestStop - 1)));
        int keep = 0;
        foreach (string stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, tail.Length); length > keep; length--)
            {
                if (tail[^length..].SequenceEqual(stop.AsSpan(0, length)))
                {
                    keep = length;
                    break;
                }
            }
        }
        return keep;
    }

    /// <summary>The text from <paramref name="from"/> to the end, copied into a reused buffer.</summary>
    private ReadOnlySpan<char> Window(int from)
    {
        int length = _text.Length - from;
        if (_window.Length < length)
        {
            _window = new char[Math.Max(length, 2 * _window.Length)];
        }
        _text.CopyTo(from, _window.AsSpan(0, length), length);
        return _window.AsSpan(0, length);
    }
}
