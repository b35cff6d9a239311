using System.Diagnostics;
using System.Runtime.CompilerServices;
using QuantRuntime.Generation;
using QuantRuntime.Inference;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Reasoning;

/// <summary>
/// Auto-prompted chain of thought: the decoder appends the model's own thoughts to the prompt and
/// generates the answer from prompt + thoughts.
/// <list type="number">
/// <item>It opens a thought phase: the model's thinking tag (<c>&lt;think&gt;</c>) when it has one,
/// else a trigger phrase ("Let's think step by step.").</item>
/// <item>The model thinks until it closes the phase (closing tag, a stop sequence, end of
/// generation) or the token budget runs out; then a closing message and the closing tag are
/// injected, so an answer always follows (as llama.cpp's <c>--reasoning-budget</c>).</item>
/// <item>An answer trigger is appended (none for tag models, whose answer follows the closing tag)
/// and the answer is generated, ending at end of generation, a line break or a token limit.</item>
/// </list>
/// The prompt is evaluated once per request; its KV cache serves every phase and, in
/// self-consistency, is copied (not recomputed) into each of the k chains. A decoder is immutable
/// and may serve concurrent requests (each uses its own sessions).
/// </summary>
public sealed class ChainOfThoughtDecoder
{
    /// <summary>
    /// Answer positions (at most <see cref="ReasoningOptions.MaxAnswerTokens"/>) the context keeps
    /// free while the model thinks; the answer may use more when the thoughts leave more.
    /// </summary>
    public const int MinimumAnswerRoom = 32;

    private static readonly double Ln2 = Math.Log(2);
    private readonly IReasoningModel _model;
    private readonly ModelTokenizer _tokenizer;

    /// <summary>Creates a decoder over a loaded model.</summary>
    /// <exception cref="ArgumentException">The model has no tokenizer.</exception>
    public ChainOfThoughtDecoder(LanguageModel model)
        : this(ReasoningModel.From(model))
    {
    }

    /// <summary>Creates a decoder over any <see cref="IReasoningModel"/> (a scripted model in tests).</summary>
    public ChainOfThoughtDecoder(IReasoningModel model)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = model.Tokenizer;
        ModelTags = ThinkingTags.Detect(_tokenizer, model.ChatTemplate);
    }

    /// <summary>The model.</summary>
    public IReasoningModel Model => _model;

    /// <summary>The thinking tags found in the model's vocabulary or chat template, or null.</summary>
    public ThinkingTags? ModelTags { get; }

    /// <summary>The tags <paramref name="options"/> use with this model, or null for the trigger phrases.</summary>
    /// <exception cref="ArgumentException"><see cref="ThoughtFormat.Tags"/> is asked for and there are none.</exception>
    public ThinkingTags? TagsFor(ReasoningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Format switch
        {
            ThoughtFormat.Trigger => null,
            ThoughtFormat.Tags => options.Tags ?? ModelTags
                ?? throw new ArgumentException("the model has no thinking tags: give the tags or use the trigger format"),
            _ => options.Tags ?? ModelTags,
        };
    }

    /// <summary>Tokenizes a prompt (or a rendered conversation): special-token texts are recognised, and BOS is added when the tokenizer wants it and the text does not already start with it.</summary>
    public IReadOnlyList<int> EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = _tokenizer.Encode(prompt, addSpecialTokens: false, parseSpecialTokens: true);
        if (_tokenizer.AddBos && _tokenizer.BosId is int bos && (ids.Count == 0 || ids[0] != bos))
        {
            return [bos, .. ids];
        }
        return ids;
    }

    /// <summary>Thinks about <paramref name="prompt"/> and answers; returns the outcome.</summary>
    /// <exception cref="ArgumentException">The options or the prompt are invalid.</exception>
    /// <exception cref="ContextOverflowException">The prompt and the phases do not fit in the context.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ReasoningResult> DecodeAsync(string prompt, ReasoningOptions? options = null, CancellationToken cancellationToken = default)
    {
        ReasoningResult? result = null;
        await foreach (var update in DecodeStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            result = update.Result ?? result;
        }
        return result ?? throw new InvalidOperationException("the decoder ended without a result");
    }

    /// <summary>Thinks about <paramref name="prompt"/> and answers, streaming thought and answer text, then the result.</summary>
    /// <inheritdoc cref="DecodeAsync(string, ReasoningOptions?, CancellationToken)" path="/exception"/>
    public IAsyncEnumerable<ReasoningUpdate> DecodeStreamingAsync(string prompt, ReasoningOptions? options = null, CancellationToken cancellationToken = default) =>
        DecodeStreamingAsync(EncodePrompt(prompt), options, cancellationToken);

    /// <summary>As <see cref="DecodeStreamingAsync(string, ReasoningOptions?, CancellationToken)"/> for a prompt given as token ids (used as given: no BOS is added).</summary>
    /// <inheritdoc cref="DecodeAsync(string, ReasoningOptions?, CancellationToken)" path="/exception"/>
    public IAsyncEnumerable<ReasoningUpdate> DecodeStreamingAsync(IReadOnlyList<int> promptIds, ReasoningOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ReasoningOptions();
        var plan = Prepare(promptIds, options);
        return DecodeInNewSessionAsync(promptIds, options, plan, cancellationToken);
    }

    /// <summary>
    /// Continues <paramref name="session"/>, which already holds a context (a conversation so far):
    /// evaluates <paramref name="newTokens"/> as the rest of the prompt, thinks and answers. The
    /// session is left holding the prompt, the chosen chain's thoughts (with what was injected) and
    /// its answer, so a conversation can go on without recomputing anything.
    /// </summary>
    /// <inheritdoc cref="DecodeAsync(string, ReasoningOptions?, CancellationToken)" path="/exception"/>
    public IAsyncEnumerable<ReasoningUpdate> ContinueStreamingAsync(IReasoningSession session, IReadOnlyList<int> newTokens, ReasoningOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        options ??= new ReasoningOptions();
        var plan = Prepare(newTokens, options);
        return RunAsync(session, newTokens, options, plan, retain: true, cancellationToken);
    }

    /// <summary>
    /// Self-consistency's vote: chains with an answer vote for it; most votes wins, a tie goes to the
    /// answer whose best chain has the higher mean log-probability of its answer tokens, then to the
    /// answer reached first.
    /// </summary>
    public static IReadOnlyList<AnswerVote> Vote(IEnumerable<ReasoningChain> chains)
    {
        ArgumentNullException.ThrowIfNull(chains);
        var tally = new Dictionary<string, (int Count, double Best, int Chain, int Order)>(StringComparer.Ordinal);
        foreach (var chain in chains)
        {
            if (chain.Answer is null)
            {
                continue;
            }
            double mean = chain.MeanAnswerLogProbability;
            if (tally.TryGetValue(chain.Answer, out var entry))
            {
                tally[chain.Answer] = mean > entry.Best
                    ? (entry.Count + 1, mean, chain.Index, entry.Order)
                    : (entry.Count + 1, entry.Best, entry.Chain, entry.Order);
            }
            else
            {
                tally[chain.Answer] = (1, mean, chain.Index, tally.Count);
            }
        }
        return [.. tally
            .OrderByDescending(e => e.Value.Count)
            .ThenByDescending(e => e.Value.Best)
            .ThenBy(e => e.Value.Order)
            .Select(e => new AnswerVote(e.Key, e.Value.Count, e.Value.Best, e.Value.Chain))];
    }

    private async IAsyncEnumerable<ReasoningUpdate> DecodeInNewSessionAsync(IReadOnlyList<int> promptIds, ReasoningOptions options, Plan plan,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Only as many positions as the request can use, so k chains do not each hold a full-context KV cache.
        long needed = options.Mode == ReasoningMode.Direct
            ? (long)promptIds.Count + plan.Direct.Length + options.MaxAnswerTokens
            : (long)promptIds.Count + plan.Open.Length + (options.Budget ?? int.MaxValue) + plan.Reserve;
        int context = (int)Math.Clamp(needed, 1, _model.ContextLength);
        using var session = _model.CreateSession(context);
        await foreach (var update in RunAsync(session, promptIds, options, plan, retain: false, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>Validates a request and tokenizes what the decoder will inject.</summary>
    private Plan Prepare(IReadOnlyList<int> tokens, ReasoningOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (tokens.Count == 0)
        {
            throw new ArgumentException("the prompt is empty");
        }
        foreach (int id in tokens)
        {
            if ((uint)id >= (uint)_tokenizer.VocabularySize)
            {
                throw new ArgumentException($"prompt id {id} is outside the vocabulary of {_tokenizer.VocabularySize}");
            }
        }
        var tags = TagsFor(options);
        string answerTrigger = options.AnswerTrigger ?? (tags is null ? ReasoningOptions.DefaultAnswerTrigger : string.Empty);
        int[] open = tags is null ? EncodeFragment(options.ThoughtTrigger) : EncodeFragment(tags.Open);
        int[] closeTag = tags is null ? [] : EncodeFragment(tags.Close);
        int closeTagToken = tags is not null && ThinkingTags.SingleTokenId(_tokenizer, tags.Close) is int id1 ? id1 : -1;
        int[] trigger = EncodeFragment(answerTrigger);
        int[] closing = EncodeFragment(options.ClosingMessage);
        var thoughtStops = new List<string>(options.ThoughtStopSequences);
        if (tags is not null && closeTagToken < 0)
        {
            thoughtStops.Add(tags.Close); // a tag the vocabulary spells in pieces is found as text
        }
        if (tags is null && answerTrigger.Trim().Length > 0)
        {
            thoughtStops.Add(answerTrigger.Trim()); // a model that writes the trigger itself gets it once
        }
        int[] direct = tags is null ? trigger : [.. open, .. closeTag, .. trigger];
        int common = 0;
        while (common < open.Length && common < direct.Length && open[common] == direct[common])
        {
            common++;
        }
        return new Plan
        {
            Tags = tags,
            Open = open,
            CloseTagToken = closeTagToken,
            NaturalClose = [.. closeTag, .. trigger],
            BudgetClose = [.. closing, .. closeTag, .. trigger],
            Direct = direct,
            Common = common,
            ThoughtTriggerText = tags is null ? options.ThoughtTrigger : string.Empty,
            AnswerTriggerText = tags is null ? answerTrigger : string.Empty,
            ClosingText = options.ClosingMessage,
            ThoughtStops = [.. thoughtStops],
            AnswerStops = [.. options.AnswerStopSequences],
            AnswerRegex = options.CreateAnswerRegex(),
            Sampling = options.EffectiveSampling,
            Reserve = closing.Length + closeTag.Length + trigger.Length + options.MaxAnswerTokens,
            AnswerRoom = Math.Min(options.MaxAnswerTokens, MinimumAnswerRoom),
        };
    }

    /// <summary>Tokenizes text injected mid-stream; a SentencePiece dummy-prefix space stands in for one leading space.</summary>
    private int[] EncodeFragment(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }
        if (_tokenizer.AddSpacePrefix && text[0] == ' ')
        {
            text = text[1..];
        }
        return [.. _tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: true)];
    }

    private async IAsyncEnumerable<ReasoningUpdate> RunAsync(IReasoningSession root, IReadOnlyList<int> newTokens, ReasoningOptions options, Plan plan, bool retain,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        await Task.Yield(); // the caller's loop runs before the first heavy step
        cancellationToken.ThrowIfCancellationRequested();
        bool direct = options.Mode == ReasoningMode.Direct;
        int vocabulary = root.VocabularySize;
        int promptEnd = root.Position + newTokens.Count;
        int budget = CheckCapacity(root, promptEnd, options, plan);

        // 1. The prompt, once, with what every chain starts with (the opening tag or trigger).
        var clock = Stopwatch.StartNew();
        var logits = new float[vocabulary];
        float[]? directLogits = null;
        if (direct)
        {
            int[] first = [.. newTokens, .. plan.Direct];
            root.Evaluate(first, logits);
        }
        else if (options.ComputeInformationGain && plan.Common == plan.Direct.Length)
        {
            // The direct context is a prefix of the chains' start: keep the logits at its end.
            directLogits = new float[vocabulary];
            int[] first = [.. newTokens, .. plan.Direct];
            root.Evaluate(first, directLogits);
            if (plan.Open.Length > plan.Common)
            {
                root.Evaluate(plan.Open.AsSpan(plan.Common), logits);
            }
            else
            {
                directLogits.CopyTo(logits, 0);
            }
        }
        else
        {
            int[] first = [.. newTokens, .. plan.Open];
            root.Evaluate(first, logits);
        }
        int sharedEnd = root.Position;
        double promptSeconds = clock.Elapsed.TotalSeconds;
        var sharedLogits = (float[])logits.Clone();

        int chainCount = options.ChainCount;
        var sessions = new List<IReasoningSession>(chainCount) { root };
        var chains = new List<ReasoningChain>(chainCount);
        int[] one = new int[1];
        try
        {
            for (int c = 0; c < chainCount; c++)
            {
                var session = root;
                if (c > 0)
                {
                    // Chain c starts from the prompt's KV cache, copied, not recomputed.
                    session = _model.CreateSession((int)Math.Min(root.ContextLength, (long)sharedEnd + budget + plan.Reserve));
                    sessions.Add(session);
                    session.CopyPrefixFrom(root, sharedEnd);
                    sharedLogits.CopyTo(logits, 0);
                }
                var sampler = new Sampler(plan.Sampling with { Seed = plan.Sampling.Seed + (ulong)c }, vocabulary);
                foreach (int id in newTokens)
                {
                    sampler.Accept(id);
                }

                // 2. Thoughts, until the model closes them or the budget runs out.
                clock.Restart();
                var thoughtEnd = ThoughtEnd.None;
                int[] thoughtIds = [];
                string thoughts = string.Empty;
                if (!direct)
                {
                    if (plan.ThoughtTriggerText.Length > 0)
                    {
                        yield return new ReasoningUpdate(ReasoningUpdateKind.Injected, c, -1, plan.ThoughtTriggerText);
                    }
                    var text = new PhaseText(_tokenizer, plan.ThoughtStops, endAtLineBreak: false);
                    int phaseStart = session.Position;
                    while (true)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (text.TokenCount >= budget)
                        {
                            thoughtEnd = ThoughtEnd.Budget;
                            break;
                        }
                        int token = sampler.Sample(logits);
                        if (token == plan.CloseTagToken)
                        {
                            thoughtEnd = ThoughtEnd.EndTag;
                            break;
                        }
                        if (_tokenizer.IsEndOfGeneration(token))
                        {
                            thoughtEnd = ThoughtEnd.EndOfGeneration;
                            break;
                        }
                        string shown = text.Append(token);
                        yield return new ReasoningUpdate(ReasoningUpdateKind.Thought, c, token, shown);
                        if (text.Stopped)
                        {
                            thoughtEnd = ThoughtEnd.StopSequence;
                            break;
                        }
                        one[0] = token;
                        session.Evaluate(one, logits);
                    }
                    bool rewound = false;
                    if (text.Stopped)
                    {
                        // The tokens that formed the stop sequence leave the KV cache.
                        rewound = text.KeptTokens < text.TokenCount - 1;
                        session.Rewind(phaseStart + text.KeptTokens);
                    }
                    else
                    {
                        string rest = text.Finish();
                        if (rest.Length > 0)
                        {
                            yield return new ReasoningUpdate(ReasoningUpdateKind.Thought, c, -1, rest);
                        }
                    }
                    thoughtIds = text.KeptIds();
                    thoughts = text.Text;
                    bool cut = thoughtEnd == ThoughtEnd.Budget;
                    // The closing message goes in when it fits; a thought phase that filled the context gets the tag alone.
                    int[] close = cut && session.Position + plan.BudgetClose.Length + plan.AnswerRoom <= session.ContextLength
                        ? plan.BudgetClose
                        : plan.NaturalClose;
                    if (close == plan.BudgetClose && plan.ClosingText.Length > 0)
                    {
                        yield return new ReasoningUpdate(ReasoningUpdateKind.Injected, c, -1, plan.ClosingText);
                    }
                    if (plan.AnswerTriggerText.Length > 0)
                    {
                        yield return new ReasoningUpdate(ReasoningUpdateKind.Injected, c, -1, plan.AnswerTriggerText);
                    }
                    if (close.Length > 0)
                    {
                        session.Evaluate(close, logits);
                    }
                    else if (session.Position == sharedEnd)
                    {
                        sharedLogits.CopyTo(logits, 0);
                    }
                    else if (rewound)
                    {
                        // Nothing to append and the logits belong to a token taken back: recompute the last kept one.
                        one[0] = thoughtIds[^1];
                        session.Rewind(session.Position - 1);
                        session.Evaluate(one, logits);
                    }
                }
                double thoughtSeconds = clock.Elapsed.TotalSeconds;

                // 3. The answer, from prompt + thoughts.
                clock.Restart();
                var answer = new PhaseText(_tokenizer, plan.AnswerStops, options.AnswerEndsAtLineBreak);
                int answerStart = session.Position;
                var logProbabilities = new List<double>();
                // The answer gets what the context has left, up to its limit.
                int answerLimit = (int)Math.Min(options.MaxAnswerTokens, session.ContextLength - (long)answerStart);
                int endToken = -1;
                double endLogProbability = 0;
                var answerEnd = AnswerEnd.MaxTokens;
                for (int step = 0; step < answerLimit; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int token = sampler.Sample(logits);
                    double logProbability = LogProbability(logits, token);
                    if (_tokenizer.IsEndOfGeneration(token))
                    {
                        endToken = token;
                        endLogProbability = logProbability;
                        answerEnd = AnswerEnd.EndOfGeneration;
                        break;
                    }
                    logProbabilities.Add(logProbability);
                    string shown = answer.Append(token);
                    yield return new ReasoningUpdate(ReasoningUpdateKind.Answer, c, token, shown);
                    if (answer.Stopped)
                    {
                        answerEnd = answer.StoppedAtLineBreak ? AnswerEnd.LineBreak : AnswerEnd.StopSequence;
                        break;
                    }
                    if ((retain || step + 1 < answerLimit) && session.Position < session.ContextLength)
                    {
                        one[0] = token;
                        session.Evaluate(one, logits);
                    }
                }
                if (answer.Stopped)
                {
                    session.Rewind(answerStart + answer.KeptTokens);
                }
                else
                {
                    string rest = answer.Finish();
                    if (rest.Length > 0)
                    {
                        yield return new ReasoningUpdate(ReasoningUpdateKind.Answer, c, -1, rest);
                    }
                }
                int[] kept = answer.KeptIds();
                int[] answerIds = endToken >= 0 ? [.. kept, endToken] : kept;
                double answerLogProbability = endLogProbability;
                for (int i = 0; i < kept.Length; i++)
                {
                    answerLogProbability += logProbabilities[i];
                }
                string answerText = answer.Text;
                var chain = new ReasoningChain(c, thoughts, thoughtIds, thoughtEnd, answerText, AnswerExtraction.Extract(answerText, plan.AnswerRegex),
                    answerIds, answerEnd, answerLogProbability, thoughtSeconds, clock.Elapsed.TotalSeconds);
                chains.Add(chain);
                yield return new ReasoningUpdate(ReasoningUpdateKind.ChainCompleted, c, -1, string.Empty, Chain: chain);
            }

            // 4. The vote, and what the chosen chain's thoughts told the model.
            var votes = Vote(chains);
            var chosen = votes.Count > 0 ? chains[votes[0].BestChain] : chains.MaxBy(c => c.MeanAnswerLogProbability)!;
            InformationGain? information = null;
            if (options.ComputeInformationGain && chosen.AnswerIds.Count > 0)
            {
                clock.Restart();
                double withThoughts = chosen.AnswerLogProbability / Ln2;
                double withoutThoughts = direct
                    ? withThoughts
                    : ScoreDirect(root, promptEnd, plan, chosen.AnswerIds, directLogits) / Ln2;
                information = new InformationGain(direct ? 0 : withThoughts - withoutThoughts, withThoughts, withoutThoughts,
                    chosen.AnswerIds.Count, clock.Elapsed.TotalSeconds);
            }
            if (retain && chosen.Index != 0)
            {
                var winner = sessions[chosen.Index];
                root.CopyPrefixFrom(winner, winner.Position);
            }
            var result = new ReasoningResult(options.Mode, plan.Tags, chosen.Answer, chosen, chains, votes, information,
                newTokens.Count, promptSeconds, total.Elapsed.TotalSeconds);
            yield return new ReasoningUpdate(ReasoningUpdateKind.Completed, 0, -1, string.Empty, Result: result);
        }
        finally
        {
            for (int i = 1; i < sessions.Count; i++)
            {
                sessions[i].Dispose();
            }
        }
    }

    /// <summary>
    /// Checks the request fits; returns how many thought tokens a chain may write: the budget, or
    /// fewer when the context must keep room for the closing tag (and trigger) and
    /// <see cref="Plan.AnswerRoom"/> answer tokens.
    /// </summary>
    private static int CheckCapacity(IReasoningSession session, int promptEnd, ReasoningOptions options, Plan plan)
    {
        bool direct = options.Mode == ReasoningMode.Direct;
        long start = direct ? (long)promptEnd + plan.Direct.Length : (long)promptEnd + plan.Open.Length;
        long reserve = direct ? plan.AnswerRoom : plan.NaturalClose.Length + plan.AnswerRoom;
        long room = session.ContextLength - start - reserve;
        if (room < 0)
        {
            throw new ContextOverflowException(
                $"the prompt ({promptEnd} positions) with the {(direct ? "answer" : "thought and answer phases")} needs at least {start + reserve} positions but the context holds {session.ContextLength}");
        }
        return (int)Math.Min(room, options.Budget ?? int.MaxValue);
    }

    /// <summary>
    /// Σ ln p(answer tokens) in the direct-mode context, teacher-forced: the prompt's KV cache is
    /// copied into a scratch session (not recomputed), then the rest of the direct context and the
    /// answer are evaluated in one pass.
    /// </summary>
    private double ScoreDirect(IReasoningSession root, int promptEnd, Plan plan, IReadOnlyList<int> answerIds, float[]? directLogits)
    {
        int copied = promptEnd + plan.Common;
        var remainder = plan.Direct.AsSpan(plan.Common);
        int[] feed = [.. remainder, .. answerIds.Take(answerIds.Count - 1)];
        double sum = 0;
        int first = 0;
        if (remainder.IsEmpty)
        {
            sum += LogProbability(directLogits!, answerIds[0]);
            first = 1;
        }
        if (feed.Length > 0)
        {
            int vocabulary = root.VocabularySize;
            using var scratch = _model.CreateSession(copied + feed.Length);
            scratch.CopyPrefixFrom(root, copied);
            var rows = new float[(long)feed.Length * vocabulary];
            scratch.EvaluateAll(feed, rows);
            for (int j = first; j < answerIds.Count; j++)
            {
                int row = remainder.Length + j - 1;
                sum += LogProbability(rows.AsSpan(row * vocabulary, vocabulary), answerIds[j]);
            }
        }
        return sum;
    }

    /// <summary>ln softmax(<paramref name="logits"/>)[<paramref name="token"/>] in float64.</summary>
    internal static double LogProbability(ReadOnlySpan<float> logits, int token)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }
        double total = 0;
        foreach (float v in logits)
        {
            total += Math.Exp(v - max);
        }
        return logits[token] - (max + Math.Log(total));
    }

    /// <summary>One request's injected tokens and settings.</summary>
    private sealed class Plan
    {
        public required ThinkingTags? Tags { get; init; }
        public required int[] Open { get; init; }
        public required int CloseTagToken { get; init; }
        public required int[] NaturalClose { get; init; }
        public required int[] BudgetClose { get; init; }
        public required int[] Direct { get; init; }
        public required int Common { get; init; }
        public required string ThoughtTriggerText { get; init; }
        public required string AnswerTriggerText { get; init; }
        public required string ClosingText { get; init; }
        public required string[] ThoughtStops { get; init; }
        public required string[] AnswerStops { get; init; }
        public required System.Text.RegularExpressions.Regex? AnswerRegex { get; init; }
        public required SamplingOptions Sampling { get; init; }

        /// <summary>Positions a budget cut-off needs after the thoughts: closing message, tag, answer trigger, a whole answer (sizes sessions).</summary>
        public required int Reserve { get; init; }

        /// <summary>Answer positions the context keeps free while the model thinks.</summary>
        public required int AnswerRoom { get; init; }
    }
}
