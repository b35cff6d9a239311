namespace QuantRuntime.Tokenization;

/// <summary>
/// The tokenizer half of a GGUF file, validated and with llama.cpp's defaults applied: what
/// <see cref="GgufTokenizerReader"/> produces and every <see cref="ModelTokenizer"/> is built from.
/// </summary>
internal sealed class TokenizerVocabulary
{
    /// <summary><c>tokenizer.ggml.model</c>: "llama" (SentencePiece BPE) or "gpt2" (byte-level BPE).</summary>
    public required string Model { get; init; }

    /// <summary>The pre-tokenizer rules (byte-level BPE only).</summary>
    public PreTokenizerRules? PreTokenizer { get; init; }

    /// <summary>Token texts by id; empty texts are replaced by <c>[EMPTY_i]</c> as llama.cpp does.</summary>
    public required string[] Tokens { get; init; }

    /// <summary>Token types by id (all <see cref="TokenType.Normal"/> when the file has none).</summary>
    public required TokenType[] Types { get; init; }

    /// <summary>SentencePiece merge scores by id (zeros when the file has none).</summary>
    public required float[] Scores { get; init; }

    /// <summary>Byte-level BPE merges, "left right", in rank order.</summary>
    public string[] Merges { get; init; } = [];

    /// <summary>
    /// Ids llama.cpp treats as control although the file does not say so (end-of-turn texts such as
    /// <c>&lt;|im_end|&gt;</c>): they are hidden like control tokens and matched only when special
    /// tokens are parsed.
    /// </summary>
    public required IReadOnlySet<int> ForcedControl { get; init; }

    /// <summary>Ids that end generation: EOS, EOT, EOM and llama.cpp's end-of-turn texts.</summary>
    public required IReadOnlySet<int> EndOfGeneration { get; init; }

    public int? Bos { get; init; }
    public int? Eos { get; init; }
    public int? Eot { get; init; }
    public int? Eom { get; init; }
    public int? Unknown { get; init; }
    public bool AddBos { get; init; }
    public bool AddEos { get; init; }
    public bool AddSpacePrefix { get; init; }

    /// <summary>Control, unknown and forced-control tokens: hidden when decoding without special tokens.</summary>
    public bool IsControlLike(int id) =>
        Types[id] is TokenType.Control or TokenType.Unknown || ForcedControl.Contains(id);
}
