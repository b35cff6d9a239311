namespace QuantRuntime.Tokenization;

/// <summary>
/// SentencePiece BPE encoding as llama.cpp's <c>llm_tokenizer_spm_session</c> does it: start from
/// single code points, repeatedly merge the adjacent pair whose concatenation is the
/// highest-scoring vocabulary entry (equal scores: leftmost first), then spell any symbol that is
/// not a token as byte tokens.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c> runs the same loop but takes the rightmost of
/// equal-score pairs, so runs of a repeated piece ("▁▁▁", "...", "000") split differently from
/// llama.cpp and SentencePiece; hence this small loop instead of that class.
/// </remarks>
internal sealed class SentencePieceBpe
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabulary;
    private readonly float[] _scores;
    private readonly int[] _byteTokens = new int[256];
    private readonly int? _unknown;

    public SentencePieceBpe(TokenizerVocabulary vocabulary)
    {
        var byText = new Dictionary<string, int>(vocabulary.Tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < vocabulary.Tokens.Length; id++)
        {
            byText[vocabulary.Tokens[id]] = id;
        }
        _vocabulary = byText.GetAlternateLookup<ReadOnlySpan<char>>();
        _scores = vocabulary.Scores;
        _unknown = vocabulary.Unknown;
        for (int b = 0; b < 256; b++)
        {
            // llama.cpp's byte_to_token: "<0xNN>", else an ASCII byte spelled as itself.
            _byteTokens[b] = byText.TryGetValue($"<0x{b:X2}>", out int id) || (b < 0x80 && byText.TryGetValue(((char)b).ToString(), out id)) ? id : -1;
        }
    }

    /// <summary>Encodes already-escaped text ('▁' for spaces), appending to <paramref name="ids"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        if (text.IsEmpty)
        {
            return;
        }
        var symbols = new Symbol[text.Length];
        int count = 0;
        for (int offset = 0; offset < text.Length; count++)
        {
            int length = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
            symbols[count] = new Symbol(offset, length, count - 1, offset + length == text.Length ? -1 : count + 1);
            offset += length;
        }
        // Highest score first; equal scores: leftmost first (llama.cpp's llm_bigram_spm comparator).
        var queue = new PriorityQueue<(int Left, int Right, int Length), (float Score, int Left)>(count, BigramOrder.Instance);
        for (int i = 1; i < count; i++)
        {
            TryAddBigram(text, symbols, queue, i - 1, i);
        }
        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref symbols[bigram.Left];
            ref var right = ref symbols[bigram.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length)
            {
                continue; // one side was merged since this pair was queued
            }
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                symbols[right.Next].Prev = bigram.Left;
            }
            TryAddBigram(text, symbols, queue, left.Prev, bigram.Left);
            TryAddBigram(text, symbols, queue, bigram.Left, left.Next);
        }
        for (int i = 0; i != -1; i = symbols[i].Next)
        {
            var piece = text.Slice(symbols[i].Start, symbols[i].Length);
            if (_vocabulary.TryGetValue(piece, out int id))
            {
                ids.Add(id);
            }
            else
            {
                AddBytes(piece, ids);
            }
        }
    }

    private void TryAddBigram(ReadOnlySpan<char> text, Symbol[] symbols, PriorityQueue<(int, int, int), (float, int)> queue, int left, int right)
    {
        if (left < 0 || right < 0)
        {
            return;
        }
        int length = symbols[left].Length + symbols[right].Length;
        if (_vocabulary.TryGetValue(text.Slice(symbols[left].Start, length), out int id))
        {
            queue.Enqueue((left, right, length), (_scores[id], left));
        }
    }

    // A symbol that is no token (a character outside the vocabulary) becomes its UTF-8 bytes.
    private void AddBytes(ReadOnlySpan<char> piece, List<int> ids)
    {
        Span<byte> utf8 = stackalloc byte[piece.Length * 3];
        int written = System.Text.Encoding.UTF8.GetBytes(piece, utf8);
        foreach (byte b in utf8[..written])
        {
            // llama.cpp has no answer for a byte without a token (it throws); SentencePiece's is unk.
            if (_byteTokens[b] >= 0 || _unknown is not null)
            {
                ids.Add(_byteTokens[b] >= 0 ? _byteTokens[b] : _unknown!.Value);
            }
        }
    }

    private record struct Symbol(int Start, int Length, int Prev, int Next);

    private sealed class BigramOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BigramOrder Instance = new();

        public int Compare((float Score, int Left) x, (float Score, int Left) y) =>
            x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Left.CompareTo(y.Left);
    }
}
