using System.Text;

namespace QuantRuntime.Generation;

/// <summary>
/// Passes streamed text through, holding back any tail that could be the start of a stop
/// sequence, so a stop sequence never reaches the output even when it spans tokens.
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _pending = new();

    /// <summary>Whether a stop sequence has been seen; nothing passes after it.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds text; returns what can safely be emitted.</summary>
    public string Push(string text)
    {
        if (stops.Count == 0)
        {
            return text;
        }
        if (Stopped || text.Length == 0)
        {
            return string.Empty;
        }
        _pending.Append(text);
        string pending = _pending.ToString();
        int stopAt = -1;
        foreach (string stop in stops)
        {
            int at = stop.Length == 0 ? -1 : pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (stopAt < 0 || at < stopAt))
            {
                stopAt = at;
            }
        }
        if (stopAt >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..stopAt];
        }
        int keep = 0;
        foreach (string stop in stops)
        {
            for (int length = Math.Min(stop.Length - 1, pending.Length); length > keep; length--)
            {
                if (pending.AsSpan(pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    keep = length;
                    break;
                }
            }
        }
        _pending.Clear().Append(pending, pending.Length - keep, keep);
        return pending[..^keep];
    }

    /// <summary>Releases what is held back at the end of generation.</summary>
    public string Flush()
    {
        string rest = Stopped ? string.Empty : _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
