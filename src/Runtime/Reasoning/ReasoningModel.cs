using QuantRuntime.Inference;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Reasoning;

/// <summary>Adapts a loaded <see cref="LanguageModel"/> to <see cref="IReasoningModel"/>.</summary>
public static class ReasoningModel
{
    /// <summary>The GGUF key of a model's chat template.</summary>
    public const string ChatTemplateKey = "tokenizer.chat_template";

    /// <summary>Wraps <paramref name="model"/>; its sessions are <see cref="InferenceSession"/>s.</summary>
    /// <exception cref="ArgumentException">The model has no tokenizer.</exception>
    public static IReasoningModel From(LanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string? template = model.File.Gguf?.Metadata.TryGetValue(ChatTemplateKey, out var value) == true
            && value.Type == Formats.Gguf.GgufValueType.String ? value.AsString() : null;
        return From(model.Transformer, model.Tokenizer ?? throw new ArgumentException("this model has no tokenizer: reasoning needs text"), template);
    }

    /// <summary>Wraps weights already on a backend (e.g. an in-memory quantization under evaluation) with their tokenizer.</summary>
    public static IReasoningModel From(TransformerModel model, ModelTokenizer tokenizer, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new TransformerAdapter(model, tokenizer, chatTemplate);
    }

    private sealed class TransformerAdapter(TransformerModel model, ModelTokenizer tokenizer, string? chatTemplate) : IReasoningModel
    {
        public ModelTokenizer Tokenizer => tokenizer;

        public string? ChatTemplate => chatTemplate;

        public int ContextLength => model.Config.ContextLength;

        public IReasoningSession CreateSession(int contextLength) =>
            new SessionAdapter(model.CreateSession(new SessionOptions(ContextLength: contextLength)));
    }

    private sealed class SessionAdapter(InferenceSession session) : IReasoningSession
    {
        public int Position => session.Position;

        public int ContextLength => session.ContextLength;

        public int VocabularySize => session.VocabularySize;

        public void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits) => session.Evaluate(tokens, logits);

        public void EvaluateAll(ReadOnlySpan<int> tokens, Span<float> logits) => session.EvaluateAll(tokens, logits);

        public void Rewind(int position) => session.Rewind(position);

        public void CopyPrefixFrom(IReasoningSession source, int length) =>
            session.CopyPrefixFrom(source is SessionAdapter other
                ? other.Inner
                : throw new ArgumentException("the source session belongs to another model", nameof(source)), length);

        private InferenceSession Inner => session;

        public void Dispose() => session.Dispose();
    }
}
