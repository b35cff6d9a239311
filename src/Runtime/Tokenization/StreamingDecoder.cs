using System.Text;

namespace QuantRuntime.Tokenization;

/// <summary>
/// Turns token ids, fed one at a time as they are generated, into text that is complete so far:
/// bytes of a character split across tokens (SentencePiece <c>&lt;0xNN&gt;</c> byte fallback,
/// byte-level BPE pieces of an emoji) are held back until the character is whole, so no chunk
/// ever ends in half a UTF-8 character or half a surrogate pair. Invalid byte sequences come out
/// as U+FFFD exactly where <see cref="ModelTokenizer.Decode"/> would put them, so the chunks
/// always add up to <see cref="ModelTokenizer.Decode"/> of the same ids. Not thread-safe.
/// </summary>
/// <remarks>
/// Leading space: llama.cpp's generation loop prints each token with <c>llama_token_to_piece</c>,
/// which strips nothing, so by default every token's text is emitted as is (the ids continue a
/// prompt). Only when <c>startOfText</c> is set does the first token lose the one leading space
/// <c>llama_detokenize</c> removes from SentencePiece text (see <see cref="ModelTokenizer.Decode"/>).
/// </remarks>
public sealed class StreamingDecoder
{
    private readonly ModelTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly bool _startOfText;
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private readonly char[] _chars;
    private bool _first = true;

    /// <summary>Creates a decoder for the tokens of <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer the ids come from.</param>
    /// <param name="skipSpecialTokens">Leave out control and unknown tokens instead of printing their text.</param>
    /// <param name="startOfText">The ids start a text (as with <see cref="ModelTokenizer.Decode"/>) rather than
    /// continue a prompt: the first token loses one leading space when <see cref="ModelTokenizer.AddSpacePrefix"/>.</param>
    public StreamingDecoder(ModelTokenizer tokenizer, bool skipSpecialTokens = false, bool startOfText = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _skipSpecialTokens = skipSpecialTokens;
        _startOfText = startOfText;
        // One token's bytes plus up to three held back decode to at most that many UTF-16 chars.
        _chars = new char[tokenizer.MaxTokenBytes + 3];
    }

    /// <summary>Adds one token; returns the text it completes (possibly empty, never allocating then).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string Append(int id)
    {
        var bytes = _tokenizer.GetPiece(id, _skipSpecialTokens);
        if (_first)
        {
            _first = false;
            // As llama_detokenize: a BOS it drops keeps the space; otherwise the first piece loses one.
            bool droppedBos = _skipSpecialTokens && _tokenizer.AddBos && id == _tokenizer.BosId;
            if (_startOfText && _tokenizer.AddSpacePrefix && !droppedBos && bytes.Length > 0 && bytes[0] == (byte)' ')
            {
                bytes = bytes[1..];
            }
        }
        return Emit(bytes, flush: false);
    }

    /// <summary>Ends the text: returns what was held back (an unfinished character as U+FFFD) and starts over.</summary>
    public string Flush()
    {
        string rest = Emit([], flush: true);
        Reset();
        return rest;
    }

    /// <summary>Drops anything held back and starts a new text.</summary>
    public void Reset()
    {
        _utf8.Reset();
        _first = true;
    }

    // The UTF-8 decoder keeps the bytes of an unfinished character between calls.
    private string Emit(ReadOnlySpan<byte> bytes, bool flush)
    {
        int count = _utf8.GetChars(bytes, _chars, flush);
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }
}
