using System.Buffers;
using System.Text;
using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;

namespace QuantRuntime.Tokenization;

/// <summary>
/// A model's tokenizer, built from GGUF metadata and producing the same ids as llama.cpp's
/// <c>llama_tokenize</c> and the same text as its <c>llama_token_to_piece</c> /
/// <c>llama_detokenize</c> (without the optional <c>clean_spaces</c> clean-up, so decoding
/// round-trips). Instances are immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// Known departures from llama.cpp, none of which arise with ordinary GGUF conversions: explicit
/// special-token ids outside the vocabulary are an error rather than a warning; llama.cpp's
/// per-model patches (phi-3 / jina lstrip-rstrip attributes, the gpt-oss and Gemma
/// end-of-generation tweaks) are not applied; a SentencePiece byte with no byte token becomes the
/// unknown token (llama.cpp throws); a byte-level token character outside GPT-2's byte table
/// decodes to its own UTF-8; and Unicode categories come from .NET's tables, so code points
/// assigned in one Unicode version and not the other may split differently.
/// </remarks>
public abstract class ModelTokenizer
{
    private readonly byte[][] _pieces;
    private readonly SpecialTokenSplitter _specialTokens;

    /// <param name="vocabulary">The validated vocabulary.</param>
    /// <param name="renderNormal">The bytes a normal token stands for (SentencePiece: '▁' as a space; byte-level: GPT-2's byte table).</param>
    private protected ModelTokenizer(TokenizerVocabulary vocabulary, Func<string, byte[]> renderNormal)
    {
        Vocabulary = vocabulary;
        _specialTokens = new SpecialTokenSplitter(vocabulary);
        _pieces = new byte[vocabulary.Tokens.Length][];
        for (int id = 0; id < _pieces.Length; id++)
        {
            _pieces[id] = vocabulary.Types[id] switch
            {
                TokenType.Normal => renderNormal(vocabulary.Tokens[id]),
                TokenType.Byte => [ParseByteToken(vocabulary.Tokens[id])],
                TokenType.Control or TokenType.Unknown or TokenType.UserDefined => Encoding.UTF8.GetBytes(vocabulary.Tokens[id]),
                _ => [], // unused and undefined tokens render as nothing, as in llama.cpp
            };
        }
        MaxTokenBytes = _pieces.Max(p => p.Length);
    }

    internal TokenizerVocabulary Vocabulary { get; }

    /// <summary>The length of the longest token, in UTF-8 bytes.</summary>
    internal int MaxTokenBytes { get; }

    /// <summary>Number of tokens in the vocabulary.</summary>
    public int VocabularySize => Vocabulary.Tokens.Length;

    /// <summary><c>tokenizer.ggml.model</c>: "llama" (SentencePiece BPE) or "gpt2" (byte-level BPE).</summary>
    public string Model => Vocabulary.Model;

    /// <summary>Beginning-of-sequence token, if any.</summary>
    public int? BosId => Vocabulary.Bos;

    /// <summary>End-of-sequence token, if any.</summary>
    public int? EosId => Vocabulary.Eos;

    /// <summary>End-of-turn token (<c>tokenizer.ggml.eot_token_id</c>, else found by text as llama.cpp does).</summary>
    public int? EotId => Vocabulary.Eot;

    /// <summary>Whether <see cref="Encode"/> starts with BOS (<c>tokenizer.ggml.add_bos_token</c>, else llama.cpp's default for the model).</summary>
    public bool AddBos => Vocabulary.AddBos;

    /// <summary>Whether <see cref="Encode"/> ends with EOS (<c>tokenizer.ggml.add_eos_token</c>, default false).</summary>
    public bool AddEos => Vocabulary.AddEos;

    /// <summary>
    /// Whether text gets a leading space before tokenizing (SentencePiece's dummy prefix,
    /// <c>tokenizer.ggml.add_space_prefix</c>, default true for "llama"); <see cref="Decode"/>
    /// removes it again from the first token.
    /// </summary>
    public bool AddSpacePrefix => Vocabulary.AddSpacePrefix;

    /// <summary>The type of token <paramref name="id"/>.</summary>
    public TokenType GetTokenType(int id) => Vocabulary.Types[CheckId(id)];

    /// <summary>The vocabulary text of token <paramref name="id"/> (SentencePiece '▁', byte-level 'Ġ' and so on, as stored).</summary>
    public string GetTokenText(int id) => Vocabulary.Tokens[CheckId(id)];

    /// <summary>The UTF-8 bytes token <paramref name="id"/> contributes to decoded text (control tokens: their text).</summary>
    public ReadOnlySpan<byte> GetTokenBytes(int id) => _pieces[CheckId(id)];

    /// <summary>Whether generation stops at <paramref name="id"/>: EOS, EOT, EOM and the end-of-turn tokens llama.cpp recognises.</summary>
    public bool IsEndOfGeneration(int id) => Vocabulary.EndOfGeneration.Contains(id);

    /// <summary>Whether <paramref name="id"/> is a control token (including end-of-turn texts llama.cpp treats as control).</summary>
    public bool IsControl(int id) => Vocabulary.Types[CheckId(id)] == TokenType.Control || Vocabulary.ForcedControl.Contains(id);

    /// <summary>Builds the tokenizer of a GGUF file.</summary>
    /// <returns>The tokenizer, or null when the file has none (no <c>tokenizer.ggml.model</c> or tokens).</returns>
    /// <exception cref="ModelFormatException">The tokenizer metadata is inconsistent or of an unsupported kind.</exception>
    public static ModelTokenizer? FromGguf(GgufMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var vocabulary = GgufTokenizerReader.Read(metadata);
        return vocabulary?.Model switch
        {
            null => null,
            "llama" => new SentencePieceModelTokenizer(vocabulary),
            _ => new ByteLevelBpeModelTokenizer(vocabulary),
        };
    }

    /// <summary>Tokenizes <paramref name="text"/> as llama.cpp's <c>llama_tokenize</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Add BOS / EOS as <see cref="AddBos"/> and <see cref="AddEos"/> say.</param>
    /// <param name="parseSpecialTokens">Recognise control-token texts such as <c>&lt;|im_start|&gt;</c> in the text
    /// (user-defined tokens are recognised either way).</param>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        // A lone surrogate cannot be UTF-8; llama.cpp receives U+FFFD for it from any UTF-8 encoder.
        if (text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            text = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
        }
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens && AddBos)
        {
            ids.Add(BosId!.Value);
        }
        foreach (var (start, length, token) in _specialTokens.Split(text, parseSpecialTokens))
        {
            if (token >= 0)
            {
                ids.Add(token);
            }
            else
            {
                EncodeText(text.AsSpan(start, length), ids);
            }
        }
        if (addSpecialTokens && AddEos)
        {
            ids.Add(EosId!.Value);
        }
        return ids;
    }

    /// <summary>
    /// The text of <paramref name="ids"/>, as llama.cpp's <c>llama_detokenize(remove_special:
    /// skipSpecialTokens, unparse_special: !skipSpecialTokens)</c> without <c>clean_spaces</c>: one
    /// leading space is removed from the first token when <see cref="AddSpacePrefix"/>, unless the
    /// ids start with a BOS that <paramref name="skipSpecialTokens"/> drops (so SentencePiece text
    /// encoded with BOS decodes with its dummy-prefix space in front, as in llama.cpp).
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out control and unknown tokens (and a leading BOS / trailing EOS the
    /// tokenizer adds); otherwise they appear as their text.</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids as IReadOnlyList<int> ?? [.. ids];
        int first = 0, end = list.Count;
        bool removeSpace = AddSpacePrefix;
        if (skipSpecialTokens && AddBos && end > 0 && list[0] == BosId)
        {
            first = 1;
            removeSpace = false;
        }
        if (skipSpecialTokens && AddEos && end > first && list[end - 1] == EosId)
        {
            end--;
        }
        var bytes = new ArrayBufferWriter<byte>(Math.Max(16, (end - first) * 4));
        for (int i = first; i < end; i++)
        {
            var piece = GetPiece(list[i], skipSpecialTokens);
            if (removeSpace && piece.Length > 0 && piece[0] == (byte)' ')
            {
                piece = piece[1..];
            }
            removeSpace = false;
            bytes.Write(piece);
        }
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>The bytes of <paramref name="id"/> when decoding, empty for a hidden special token.</summary>
    internal ReadOnlySpan<byte> GetPiece(int id, bool skipSpecialTokens) =>
        skipSpecialTokens && Vocabulary.IsControlLike(CheckId(id)) ? [] : _pieces[id];

    /// <summary>Tokenizes one raw fragment of text (no special tokens in it), appending to <paramref name="ids"/>.</summary>
    private protected abstract void EncodeText(ReadOnlySpan<char> text, List<int> ids);

    private static byte ParseByteToken(string token) =>
        token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte value)
            ? value
            : throw new ModelFormatException($"byte token '{token}' is not of the form <0xNN>");

    private int CheckId(int id) => (uint)id < (uint)Vocabulary.Tokens.Length
        ? id
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {Vocabulary.Tokens.Length}");
}
