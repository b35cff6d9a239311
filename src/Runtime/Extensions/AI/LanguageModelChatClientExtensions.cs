using Microsoft.Extensions.AI;

namespace QuantRuntime.Extensions.AI;

/// <summary>Adapts a loaded model to Microsoft.Extensions.AI, in the <c>AsIChatClient</c> style of other providers.</summary>
public static class LanguageModelChatClientExtensions
{
    /// <summary>An <see cref="IChatClient"/> over <paramref name="model"/> (the model stays the caller's unless <see cref="QuantRuntimeChatClientOptions.OwnsModel"/> is set).</summary>
    /// <exception cref="ArgumentException">The model has no tokenizer, or the options are invalid.</exception>
    public static IChatClient AsIChatClient(this LanguageModel model, QuantRuntimeChatClientOptions? options = null) =>
        new QuantRuntimeChatClient(model, options);
}
