using QuantRuntime.Tokenization;

namespace QuantRuntime.Reasoning;

/// <summary>
/// What <see cref="ChainOfThoughtDecoder"/> needs of a model: its tokenizer, its chat template and
/// fresh sessions. <see cref="ReasoningModel.From(LanguageModel)"/> adapts a <see cref="LanguageModel"/>; tests
/// substitute a scripted model whose logits they choose.
/// </summary>
public interface IReasoningModel
{
    /// <summary>The model's tokenizer.</summary>
    ModelTokenizer Tokenizer { get; }

    /// <summary>The Jinja chat template (<c>tokenizer.chat_template</c>), or null when the model has none.</summary>
    string? ChatTemplate { get; }

    /// <summary>The most positions a session may hold.</summary>
    int ContextLength { get; }

    /// <summary>Starts an empty session of <paramref name="contextLength"/> positions.</summary>
    IReasoningSession CreateSession(int contextLength);
}

/// <summary>
/// One KV cache being extended token by token, as <see cref="Inference.InferenceSession"/> does:
/// the decoder evaluates, rewinds and copies prefixes through this interface only.
/// </summary>
public interface IReasoningSession : IDisposable
{
    /// <summary>Tokens held (the position the next evaluated token takes).</summary>
    int Position { get; }

    /// <summary>Positions the session holds at most.</summary>
    int ContextLength { get; }

    /// <summary>Width of a logits row.</summary>
    int VocabularySize { get; }

    /// <summary>Evaluates <paramref name="tokens"/> at the next positions and writes the last one's logits.</summary>
    void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>Evaluates <paramref name="tokens"/> and writes the logits after every one of them, row by row.</summary>
    void EvaluateAll(ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>Forgets every position from <paramref name="position"/> on.</summary>
    void Rewind(int position);

    /// <summary>Copies the first <paramref name="length"/> positions of <paramref name="source"/> (a session of the same model) and continues from there.</summary>
    void CopyPrefixFrom(IReasoningSession source, int length);
}
