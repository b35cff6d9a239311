using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;
using QuantRuntime.Formats;

namespace QuantRuntime.Tokenization;

/// <summary>
/// A GGUF "gpt2" vocabulary (byte-level BPE: GPT-2, Llama 3, Qwen, SmolLM), merged by
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> one pre-tokenizer word at a time. Words
/// are split here rather than by a <see cref="RegexPreTokenizer"/> because llama.cpp applies
/// several patterns in sequence for some pre-tokenizers, matches whole code points where .NET
/// regexes see surrogate halves, and (Llama 3) takes a word that is itself a token without merging.
/// </summary>
internal sealed class ByteLevelBpeModelTokenizer : ModelTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly PreTokenizerRules _rules;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabulary;

    public ByteLevelBpeModelTokenizer(TokenizerVocabulary vocabulary)
        : base(vocabulary, ByteLevelEncoding.Decode)
    {
        _rules = vocabulary.PreTokenizer!;
        var byText = new Dictionary<string, int>(vocabulary.Tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < vocabulary.Tokens.Length; id++)
        {
            byText[vocabulary.Tokens[id]] = id;
        }
        _vocabulary = byText.GetAlternateLookup<ReadOnlySpan<char>>();
        try
        {
            // llama.cpp keeps the first of repeated merges; Microsoft.ML.Tokenizers rejects repeats.
            _bpe = BpeTokenizer.Create(new BpeOptions(byText) { Merges = vocabulary.Merges.Distinct(StringComparer.Ordinal), ByteLevel = true });
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFormatException($"tokenizer.ggml.merges does not fit tokenizer.ggml.tokens: {e.Message}", e);
        }
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, List<int> ids)
    {
        var words = new List<(int Start, int Length)>();
        RegexWordSplitter.Split(text, _rules.Patterns, words);
        foreach (var (start, length) in words)
        {
            var word = text.Slice(start, length);
            if (_rules.IgnoreMerges && TryGetWholeWord(word, out int id))
            {
                ids.Add(id);
                continue;
            }
            ids.AddRange(_bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }

    // Looks the byte-level spelling of the word up in the vocabulary (llama.cpp's ignore_merges).
    private bool TryGetWholeWord(ReadOnlySpan<char> word, out int id)
    {
        int byteCount = Encoding.UTF8.GetByteCount(word);
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(byteCount);
        char[] spelled = ArrayPool<char>.Shared.Rent(byteCount);
        try
        {
            Encoding.UTF8.GetBytes(word, utf8);
            ByteLevelEncoding.Encode(utf8.AsSpan(0, byteCount), spelled);
            return _vocabulary.TryGetValue(spelled.AsSpan(0, byteCount), out id);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            ArrayPool<char>.Shared.Return(spelled);
        }
    }
}
