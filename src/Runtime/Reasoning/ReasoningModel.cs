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
        return new LanguageModelAdapter(model);
    }

    private sealed class LanguageModelAdapter : IReasoningModel
    {
        private readonly LanguageModel _model;

        public LanguageModelAdapter(LanguageModel model)
        {
            _model = model;
            Tokenizer = model.Tokenizer ?? throw new ArgumentException("this model has no tokenizer: reasoning needs text");
            ChatTemplate = model.File.Gguf?.Metadata.TryGetValue(ChatTemplateKey, out var value) == true
                && value.Type == Formats.Gguf.GgufValueType.String ? value.AsString() : null;
        }

        public ModelTokenizer Tokenizer { get; }

        public string? ChatTemplate { get; }

        public int ContextLength => _model.Config.ContextLength;

        public IReasoningSession CreateSession(int contextLength) => new SessionAdapter(_model.CreateSession(contextLength));
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
