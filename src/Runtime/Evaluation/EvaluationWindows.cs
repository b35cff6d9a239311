namespace QuantRuntime.Evaluation;

/// <summary>Which positions of a window are scored.</summary>
public enum ScoredPositions
{
    /// <summary>
    /// The second half, as llama.cpp's perplexity tool: with a window of n tokens, the predictions made
    /// at positions ⌊n/2⌋ … n − 2 (of tokens ⌊n/2⌋ + 1 … n − 1), so every scored token has at least
    /// ⌊n/2⌋ tokens of context.
    /// </summary>
    SecondHalf,

    /// <summary>Every prediction of the window: positions 0 … n − 2 (of tokens 1 … n − 1).</summary>
    All,
}

/// <summary>One window: the tokens run from an empty KV cache, and which predictions are scored.</summary>
/// <param name="Index">0-based window number.</param>
/// <param name="StreamOffset">Where the window starts in the evaluation token stream.</param>
/// <param name="Tokens">The tokens run through the model (the stream's, the first replaced by BOS when there is one).</param>
/// <param name="FirstScored">The first position whose prediction (of the token after it) is scored; the last is <c>Tokens.Length − 2</c>.</param>
public sealed record EvaluationWindow(int Index, int StreamOffset, int[] Tokens, int FirstScored)
{
    /// <summary>Predictions scored in this window: positions <see cref="FirstScored"/> … n − 2.</summary>
    public int ScoredCount => Tokens.Length - 1 - FirstScored;

    /// <summary>The token the prediction at scored row <paramref name="row"/> (0-based from <see cref="FirstScored"/>) is judged against.</summary>
    public int Target(int row) => Tokens[FirstScored + row + 1];
}

/// <summary>
/// How an evaluation token stream is cut into windows (docs/EVALUATION.md, "Which tokens are scored"):
/// consecutive, non-overlapping windows of exactly <c>contextLength</c> stream tokens, window k holding
/// stream tokens [k·n, (k+1)·n); a trailing remainder shorter than n is not used. When a BOS id is given,
/// each window's first token is replaced by it (so every window reads like the start of a document), as
/// llama.cpp's perplexity tool does; the replaced stream token is never a scored target, since position 0
/// is only ever context. Each window is evaluated from an empty KV cache.
/// </summary>
public sealed class EvaluationWindows
{
    private EvaluationWindows(IReadOnlyList<EvaluationWindow> windows, int contextLength, ScoredPositions scoring, int? bos, int streamTokens)
    {
        Windows = windows;
        ContextLength = contextLength;
        Scoring = scoring;
        Bos = bos;
        StreamTokens = streamTokens;
    }

    /// <summary>The windows, in stream order.</summary>
    public IReadOnlyList<EvaluationWindow> Windows { get; }

    /// <summary>Tokens per window.</summary>
    public int ContextLength { get; }

    /// <summary>Which predictions of each window are scored.</summary>
    public ScoredPositions Scoring { get; }

    /// <summary>The id placed at the start of every window, or null when windows are the stream's tokens unchanged.</summary>
    public int? Bos { get; }

    /// <summary>Tokens in the whole evaluation stream.</summary>
    public int StreamTokens { get; }

    /// <summary>Stream tokens inside a window.</summary>
    public int UsedTokens => Windows.Count * ContextLength;

    /// <summary>Predictions scored over all windows.</summary>
    public int ScoredTokens => Windows.Sum(w => w.ScoredCount);

    /// <summary>The first position scored in a window of <paramref name="length"/> tokens.</summary>
    public static int FirstScoredPosition(int length, ScoredPositions scoring) => scoring == ScoredPositions.SecondHalf ? length / 2 : 0;

    /// <summary>Cuts <paramref name="stream"/> into windows.</summary>
    /// <param name="stream">The evaluation tokens.</param>
    /// <param name="contextLength">Tokens per window (at least 3 for <see cref="ScoredPositions.SecondHalf"/>, 2 for <see cref="ScoredPositions.All"/>).</param>
    /// <param name="scoring">Which predictions are scored.</param>
    /// <param name="bos">The id that replaces each window's first token, or null.</param>
    /// <param name="maxWindows">Use at most this many windows (the first ones); null for all.</param>
    /// <exception cref="ArgumentException">The stream is shorter than one window, or the window scores nothing.</exception>
    public static EvaluationWindows Plan(IReadOnlyList<int> stream, int contextLength, ScoredPositions scoring, int? bos = null, int? maxWindows = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        int minimum = scoring == ScoredPositions.SecondHalf ? 3 : 2;
        if (contextLength < minimum)
        {
            throw new ArgumentException($"a window of {contextLength} tokens scores no prediction (at least {minimum} are needed)");
        }
        if (maxWindows is < 1)
        {
            throw new ArgumentException($"the number of windows must be at least 1, not {maxWindows}");
        }
        int count = stream.Count / contextLength;
        if (count == 0)
        {
            throw new ArgumentException($"the evaluation stream has {stream.Count} tokens, fewer than one window of {contextLength}: give more text or a smaller context");
        }
        if (maxWindows is { } most)
        {
            count = Math.Min(count, most);
        }
        int first = FirstScoredPosition(contextLength, scoring);
        var windows = new EvaluationWindow[count];
        for (int k = 0; k < count; k++)
        {
            var tokens = new int[contextLength];
            for (int i = 0; i < contextLength; i++)
            {
                tokens[i] = stream[k * contextLength + i];
            }
            if (bos is { } id)
            {
                tokens[0] = id;
            }
            windows[k] = new EvaluationWindow(k, k * contextLength, tokens, first);
        }
        return new EvaluationWindows(windows, contextLength, scoring, bos, stream.Count);
    }
}
