using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Training.Data;

/// <summary>
/// The model's vocabulary: a SentencePiece-style ("llama") vocabulary stored as standard GGUF
/// <c>tokenizer.ggml.*</c> metadata, so llama.cpp and <see cref="ModelTokenizer.FromGguf"/> read it
/// and tokenize alike. Digits, operators and place labels are single tokens; <c>&lt;think&gt;</c> and
/// <c>&lt;/think&gt;</c> are user-defined tokens (found in any text); the question words are merged
/// pieces; the 256 byte tokens let any other text through (newline is the byte token 0x0A).
/// </summary>
/// <remarks>
/// No dummy-prefix space (<c>tokenizer.ggml.add_space_prefix</c> = false): SentencePiece would
/// otherwise put a space before the text that follows each special token, after <c>&lt;think&gt;</c>.
/// </remarks>
public static class ArithmeticVocabulary
{
    /// <summary>The unknown token.</summary>
    public const int UnknownId = 0;

    /// <summary>Beginning of sequence, added before every text.</summary>
    public const int BosId = 1;

    /// <summary>End of sequence: generation stops here.</summary>
    public const int EosId = 2;

    /// <summary>The first byte token (<c>&lt;0x00&gt;</c>); byte b is <c>FirstByteId + b</c>.</summary>
    public const int FirstByteId = 3;

    /// <summary><c>&lt;think&gt;</c>.</summary>
    public const int ThinkOpenId = FirstByteId + 256;

    /// <summary><c>&lt;/think&gt;</c>.</summary>
    public const int ThinkCloseId = ThinkOpenId + 1;

    // Normal pieces; '▁' is SentencePiece's space. Prefixes of the merged pieces are listed too:
    // SentencePiece reaches "What" through "Wh" and "Wha".
    private static readonly string[] Pieces =
    [
        "\u2581", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        "+", "-", "*", "=", "?", "<", ">",
        "a", "b", "c", "d", "e",
        "Wh", "Wha", "What", "is", "\u2581is",
        "\u2581+", "\u2581+\u2581", "\u2581-", "\u2581-\u2581", "\u2581*", "\u2581*\u2581",
    ];

    private static readonly Lazy<ModelTokenizer> SharedTokenizer = new(() =>
        ModelTokenizer.FromGguf(CreateMetadata("arith-reasoner")) ?? throw new InvalidOperationException("the vocabulary metadata has no tokenizer"));

    /// <summary>Number of tokens.</summary>
    public static int Size => ThinkCloseId + 1 + Pieces.Length;

    /// <summary>The token texts by id, as stored in <c>tokenizer.ggml.tokens</c>.</summary>
    public static string[] Tokens()
    {
        var tokens = new string[Size];
        tokens[UnknownId] = "<unk>";
        tokens[BosId] = "<s>";
        tokens[EosId] = "</s>";
        for (int b = 0; b < 256; b++)
        {
            tokens[FirstByteId + b] = $"<0x{b:X2}>";
        }
        tokens[ThinkOpenId] = ArithmeticTask.ThinkOpen;
        tokens[ThinkCloseId] = ArithmeticTask.ThinkClose;
        Pieces.CopyTo(tokens, ThinkCloseId + 1);
        return tokens;
    }

    /// <summary>The token types by id, as stored in <c>tokenizer.ggml.token_type</c>.</summary>
    public static TokenType[] Types()
    {
        var types = new TokenType[Size];
        for (int id = 0; id < types.Length; id++)
        {
            types[id] = id switch
            {
                UnknownId => TokenType.Unknown,
                BosId or EosId => TokenType.Control,
                < ThinkOpenId => TokenType.Byte,
                ThinkOpenId or ThinkCloseId => TokenType.UserDefined,
                _ => TokenType.Normal,
            };
        }
        return types;
    }

    /// <summary>
    /// GGUF metadata for a model with this vocabulary: <c>general.name</c>, <c>general.description</c>
    /// and the <c>tokenizer.ggml.*</c> keys, for <see cref="GgufModelWriter.Build"/>.
    /// </summary>
    public static GgufMetadata CreateMetadata(string name, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var entries = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.name", GgufValue.FromString(name)),
        };
        if (description is not null)
        {
            entries.Add(new("general.description", GgufValue.FromString(description)));
        }
        entries.Add(new("tokenizer.ggml.model", GgufValue.FromString("llama")));
        entries.Add(new("tokenizer.ggml.tokens", GgufValue.FromArray(GgufArray.Of(Tokens()))));
        entries.Add(new("tokenizer.ggml.scores", GgufValue.FromArray(GgufArray.Of(new float[Size]))));
        entries.Add(new("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of(Types().Select(t => (int)t).ToArray()))));
        entries.Add(new("tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(BosId)));
        entries.Add(new("tokenizer.ggml.eos_token_id", GgufValue.FromUInt32(EosId)));
        entries.Add(new("tokenizer.ggml.unknown_token_id", GgufValue.FromUInt32(UnknownId)));
        entries.Add(new("tokenizer.ggml.add_bos_token", GgufValue.FromBool(true)));
        entries.Add(new("tokenizer.ggml.add_eos_token", GgufValue.FromBool(false)));
        entries.Add(new("tokenizer.ggml.add_space_prefix", GgufValue.FromBool(false)));
        return new GgufMetadata(entries);
    }

    /// <summary>The tokenizer the engine builds from this vocabulary's metadata (shared, immutable).</summary>
    public static ModelTokenizer Tokenizer => SharedTokenizer.Value;
}
