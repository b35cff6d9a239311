namespace QuantRuntime.Generation;

/// <summary>
/// Chooses tokens from logits by <see cref="SamplingOptions"/>. Holds its buffers and its seeded
/// generator, so a steady stream of calls allocates nothing. Not thread-safe: one per session.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Numerics.SeededRandom _random;
    private readonly float[] _logits;
    private readonly int[] _candidates;
    private readonly double[] _probabilities;
    private readonly int[] _recent;
    private readonly Comparison<int> _compare;
    private readonly IComparer<int> _comparer;
    private int _recentCount;
    private int _recentNext;

    /// <summary>Creates a sampler for a vocabulary of <paramref name="vocabularySize"/> tokens.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Sampler(SamplingOptions options, int vocabularySize)
    {
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        _options = options;
        _random = new Numerics.SeededRandom(options.Seed);
        _logits = new float[vocabularySize];
        _candidates = new int[vocabularySize];
        _probabilities = new double[vocabularySize];
        _recent = new int[options.RepetitionWindow];
        // Cached once: a method-group conversion per call would allocate per token.
        _compare = Compare;
        _comparer = Comparer<int>.Create(_compare);
    }

    /// <summary>The options in force.</summary>
    public SamplingOptions Options => _options;

    /// <summary>Records a token (prompt or generated) for the repetition penalty.</summary>
    public void Accept(int token)
    {
        if (_recent.Length == 0)
        {
            return;
        }
        _recent[_recentNext] = token;
        _recentNext = (_recentNext + 1) % _recent.Length;
        _recentCount = Math.Min(_recentCount + 1, _recent.Length);
    }

    /// <summary>Chooses the next token from <paramref name="logits"/> (not modified) and records it.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (logits.Length != _logits.Length)
        {
            throw new ArgumentException($"expected {_logits.Length} logits, got {logits.Length}");
        }
        logits.CopyTo(_logits);
        ApplyRepetitionPenalty();
        int token = _options.Temperature <= 0 ? ArgMax(_logits) : Draw();
        Accept(token);
        return token;
    }

    /// <summary>Index of the largest value; the lowest index wins a tie.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    private void ApplyRepetitionPenalty()
    {
        float penalty = _options.RepetitionPenalty;
        if (penalty == 1f)
        {
            return;
        }
        // Each distinct recent token is penalised once, however often it occurred (as llama.cpp does).
        for (int i = 0; i < _recentCount; i++)
        {
            int token = _recent[i];
            bool seenBefore = false;
            for (int j = 0; j < i && !seenBefore; j++)
            {
                seenBefore = _recent[j] == token;
            }
            if (!seenBefore && (uint)token < (uint)_logits.Length)
            {
                _logits[token] = _logits[token] > 0 ? _logits[token] / penalty : _logits[token] * penalty;
            }
        }
    }

    private int Draw()
    {
        int count = SelectCandidates();
        // Probabilities of the untempered distribution decide top-p and min-p.
        Softmax(count, 1.0);
        count = CutTopP(count);
        count = CutMinP(count);
        Softmax(count, _options.Temperature);
        double u = _random.NextDouble();
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += _probabilities[i];
            if (u < cumulative)
            {
                return _candidates[i];
            }
        }
        return _candidates[count - 1];
    }

    /// <summary>Fills the candidates sorted by descending logit (ties by id); returns how many remain after top-k.</summary>
    private int SelectCandidates()
    {
        int vocab = _logits.Length;
        int k = _options.TopK > 0 ? Math.Min(_options.TopK, vocab) : vocab;
        bool needOrder = k < vocab || _options.TopP < 1;
        if (!needOrder)
        {
            for (int i = 0; i < vocab; i++)
            {
                _candidates[i] = i;
            }
            return vocab;
        }
        if (k < vocab)
        {
            return SelectTopK(k);
        }
        for (int i = 0; i < vocab; i++)
        {
            _candidates[i] = i;
        }
        Array.Sort(_candidates, 0, vocab, _comparer);
        return vocab;
    }

    /// <summary>Keeps the k best ids with a min-heap (O(V log k)), then orders them.</summary>
    private int SelectTopK(int k)
    {
        var heap = _candidates.AsSpan(0, k);
        for (int i = 0; i < k; i++)
        {
            heap[i] = i;
            SiftUp(heap, i);
        }
        for (int i = k; i < _logits.Length; i++)
        {
            if (Compare(i, heap[0]) < 0)
            {
                heap[0] = i;
                SiftDown(heap, 0);
            }
        }
        heap.Sort(_compare);
        return k;
    }

    // Orders better tokens first: higher logit, then lower id.
    private int Compare(int a, int b)
    {
        int byLogit = _logits[b].CompareTo(_logits[a]);
        return byLogit != 0 ? byLogit : a.CompareTo(b);
    }

    // The heap keeps the worst kept candidate at the root.
    private void SiftUp(Span<int> heap, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (Compare(heap[i], heap[parent]) <= 0)
            {
                break;
            }
            (heap[i], heap[parent]) = (heap[parent], heap[i]);
            i = parent;
        }
    }

    private void SiftDown(Span<int> heap, int i)
    {
        while (true)
        {
            int worst = i, left = 2 * i + 1, right = left + 1;
            if (left < heap.Length && Compare(heap[left], heap[worst]) > 0) worst = left;
            if (right < heap.Length && Compare(heap[right], heap[worst]) > 0) worst = right;
            if (worst == i)
            {
                return;
            }
            (heap[i], heap[worst]) = (heap[worst], heap[i]);
            i = worst;
        }
    }

    private void Softmax(int count, double temperature)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < count; i++)
        {
            max = Math.Max(max, _logits[_candidates[i]]);
        }
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            _probabilities[i] = Math.Exp((_logits[_candidates[i]] - max) / temperature);
            total += _probabilities[i];
        }
        for (int i = 0; i < count; i++)
        {
            _probabilities[i] /= total;
        }
    }

    private int CutTopP(int count)
    {
        if (_options.TopP >= 1)
        {
            return count;
        }
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += _probabilities[i];
            if (cumulative >= _options.TopP)
            {
                return i + 1;
            }
        }
        return count;
    }

    private int CutMinP(int count)
    {
        if (_options.MinP <= 0 || count == 0)
        {
            return count;
        }
        // Candidates are in descending order whenever a cut applies; find the max anyway for the unordered case.
        double best = 0;
        for (int i = 0; i < count; i++)
        {
            best = Math.Max(best, _probabilities[i]);
        }
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (_probabilities[i] >= _options.MinP * best)
            {
                _candidates[kept] = _candidates[i];
                _probabilities[kept] = _probabilities[i];
                kept++;
            }
        }
        return kept;
    }
}
