using System.Text;

namespace QuantRuntime.Tokenization;

/// <summary>
/// A GGUF "llama" vocabulary: SentencePiece BPE with byte fallback (Llama 1/2, Mistral, TinyLlama).
/// Special tokens and BOS/EOS are handled by <see cref="ModelTokenizer"/>; each raw fragment gets
/// llama.cpp's treatment here: one leading space when <see cref="ModelTokenizer.AddSpacePrefix"/>
/// (every fragment follows the start or a special token, and llama.cpp prefixes all of them),
/// spaces written '▁', then <see cref="SentencePieceBpe"/>.
/// </summary>
internal sealed class SentencePieceModelTokenizer : ModelTokenizer
{
    private const char Space = '\u2581';
    private readonly SentencePieceBpe _bpe;

    public SentencePieceModelTokenizer(TokenizerVocabulary vocabulary)
        : base(vocabulary, token => Encoding.UTF8.GetBytes(token.Replace(Space, ' ')))
    {
        _bpe = new SentencePieceBpe(vocabulary);
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, List<int> ids)
    {
        int prefix = AddSpacePrefix ? 1 : 0;
        char[] escaped = System.Buffers.ArrayPool<char>.Shared.Rent(text.Length + prefix);
        try
        {
            if (prefix == 1)
            {
                escaped[0] = Space;
            }
            text.Replace(escaped.AsSpan(prefix), ' ', Space);
            _bpe.Encode(escaped.AsSpan(0, text.Length + prefix), ids);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(escaped);
        }
    }
}
