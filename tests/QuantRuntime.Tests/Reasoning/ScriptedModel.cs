using QuantRuntime.Reasoning;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Reasoning;

/// <summary>
/// A model whose next-token distribution the test writes down: rules map the decoded context (the
/// text after BOS, optionally only in one session) to probabilities of a few tokens; every other
/// token gets probability 0 (logit −∞). Logits are ln p, so p is exactly the model's probability.
/// Every evaluation, copy and session is logged so tests can count what was computed.
/// </summary>
public sealed class ScriptedModel(ModelTokenizer tokenizer, string? chatTemplate = null, int contextLength = 512) : IReasoningModel
{
    public sealed record Evaluation(int Session, int Start, int[] Tokens, bool AllRows);

    public sealed record Copy(int Target, int Source, int Length);

    private sealed record Rule(Func<int, string, bool> Matches, (int Token, double P)[] Next);

    private readonly List<Rule> _rules = [];

    public ModelTokenizer Tokenizer => tokenizer;

    public string? ChatTemplate => chatTemplate;

    public int ContextLength => contextLength;

    public List<ScriptedSession> Sessions { get; } = [];

    public List<Evaluation> Evaluations { get; } = [];

    public List<Copy> Copies { get; } = [];

    /// <summary>In context <paramref name="context"/> (exactly), the next token is distributed as given.</summary>
    public ScriptedModel When(string context, params (string Token, double P)[] next) => When((_, c) => c == context, next);

    /// <summary>In session <paramref name="session"/> only, at context <paramref name="context"/>.</summary>
    public ScriptedModel WhenSession(int session, string context, params (string Token, double P)[] next) =>
        When((s, c) => s == session && c == context, next);

    /// <summary>Wherever <paramref name="matches"/> holds (rules are tried in the order they were added; exact ones first).</summary>
    public ScriptedModel When(Func<string, bool> matches, params (string Token, double P)[] next) => When((_, c) => matches(c), next);

    private ScriptedModel When(Func<int, string, bool> matches, (string Token, double P)[] next)
    {
        _rules.Add(new Rule(matches, [.. next.Select(n => (Id(n.Token), n.P))]));
        return this;
    }

    /// <summary>After <paramref name="context"/> the model writes <paramref name="text"/> with certainty, then <paramref name="end"/>.</summary>
    public ScriptedModel Say(string context, string text, string end = "</s>")
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: false);
        for (int i = 0; i < ids.Count; i++)
        {
            When(context + tokenizer.Decode(ids.Take(i)), (Text(ids[i]), 1.0));
        }
        return When(context + text, (end, 1.0));
    }

    /// <summary>The token id of a token's text ("\n", " ", "a", "&lt;think&gt;", "&lt;/s&gt;").</summary>
    public int Id(string token)
    {
        var ids = tokenizer.Encode(token, addSpecialTokens: false, parseSpecialTokens: true);
        return ids.Count == 1 ? ids[0] : throw new ArgumentException($"'{token}' is not one token");
    }

    private string Text(int id) => tokenizer.Decode([id]);

    /// <summary>The context text of a token sequence (a leading BOS dropped).</summary>
    public string Context(IReadOnlyList<int> tokens) =>
        tokenizer.Decode(tokens.Count > 0 && tokens[0] == ReasoningTestModels.BosId ? tokens.Skip(1) : tokens);

    internal void Next(int session, IReadOnlyList<int> tokens, Span<float> logits)
    {
        string context = Context(tokens);
        var rule = _rules.FirstOrDefault(r => r.Matches(session, context))
            ?? throw new InvalidOperationException($"the script has no rule for session {session} at '{context.Replace("\n", "\\n")}'");
        logits.Fill(float.NegativeInfinity);
        foreach (var (token, p) in rule.Next)
        {
            logits[token] = (float)Math.Log(p);
        }
    }

    public IReasoningSession CreateSession(int contextLength)
    {
        var session = new ScriptedSession(this, Sessions.Count, contextLength);
        Sessions.Add(session);
        return session;
    }

    /// <summary>The evaluations that touched positions before <paramref name="end"/> (the prompt).</summary>
    public IEnumerable<Evaluation> EvaluationsBefore(int end) => Evaluations.Where(e => e.Start < end);
}

/// <summary>A scripted KV cache: the token sequence itself.</summary>
public sealed class ScriptedSession(ScriptedModel model, int index, int contextLength) : IReasoningSession
{
    private readonly List<int> _tokens = [];

    public int Index => index;

    public IReadOnlyList<int> Tokens => _tokens;

    public string Text => model.Context(_tokens);

    public bool Disposed { get; private set; }

    public int Position => _tokens.Count;

    public int ContextLength => contextLength;

    public int VocabularySize => model.Tokenizer.VocabularySize;

    public void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        Append(tokens, allRows: false);
        model.Next(index, _tokens, logits);
    }

    public void EvaluateAll(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int start = _tokens.Count;
        Append(tokens, allRows: true);
        for (int i = 0; i < tokens.Length; i++)
        {
            model.Next(index, _tokens[..(start + i + 1)], logits.Slice(i * VocabularySize, VocabularySize));
        }
    }

    private void Append(ReadOnlySpan<int> tokens, bool allRows)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens");
        }
        if (_tokens.Count + tokens.Length > ContextLength)
        {
            throw new QuantRuntime.Inference.ContextOverflowException("scripted context overflow");
        }
        model.Evaluations.Add(new ScriptedModel.Evaluation(index, _tokens.Count, tokens.ToArray(), allRows));
        _tokens.AddRange(tokens);
    }

    public void Rewind(int position)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, _tokens.Count);
        _tokens.RemoveRange(position, _tokens.Count - position);
    }

    public void CopyPrefixFrom(IReasoningSession source, int length)
    {
        var other = (ScriptedSession)source;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, other.Position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ContextLength);
        model.Copies.Add(new ScriptedModel.Copy(index, other.Index, length));
        _tokens.Clear();
        _tokens.AddRange(other._tokens.Take(length));
    }

    public void Dispose() => Disposed = true;
}
