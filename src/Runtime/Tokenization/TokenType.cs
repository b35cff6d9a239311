namespace QuantRuntime.Tokenization;

/// <summary>
/// The kind of a vocabulary entry, as stored in GGUF <c>tokenizer.ggml.token_type</c>
/// (the values of SentencePiece's <c>ModelProto.SentencePiece.Type</c>).
/// </summary>
public enum TokenType
{
    /// <summary>No type recorded; llama.cpp renders such tokens as nothing.</summary>
    Undefined = 0,
    /// <summary>An ordinary piece of text.</summary>
    Normal = 1,
    /// <summary>The unknown-token placeholder.</summary>
    Unknown = 2,
    /// <summary>A control token (BOS, EOS, chat markers): matched in text only when special tokens are parsed.</summary>
    Control = 3,
    /// <summary>A token added by the model author: always matched as a whole in text.</summary>
    UserDefined = 4,
    /// <summary>A reserved, unused slot.</summary>
    Unused = 5,
    /// <summary>A single raw byte written <c>&lt;0xNN&gt;</c> (SentencePiece byte fallback).</summary>
    Byte = 6,
}
