using System.Text;
using System.Text.RegularExpressions;
using QuantRuntime.Reasoning;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Chat;

/// <summary>The chat formats <see cref="ChatTemplate"/> renders.</summary>
public enum ChatTemplateFamily
{
    /// <summary>No template: the messages' text run together (see docs/REASONING.md).</summary>
    Plain,

    /// <summary>ChatML (<c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;</c>): Qwen, SmolLM, many fine-tunes.</summary>
    ChatML,

    /// <summary>Llama 3 headers (<c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;</c>); Llama 3.1+ with its knowledge-date system header.</summary>
    Llama3,

    /// <summary>Llama 2 chat (<c>[INST] &lt;&lt;SYS&gt;&gt;…</c>).</summary>
    Llama2,

    /// <summary>Mistral Instruct v0.1/v0.2 and Mixtral (<c>[INST] … [/INST]</c>, no system block).</summary>
    Mistral,

    /// <summary>Gemma (<c>&lt;start_of_turn&gt;user\n…&lt;end_of_turn&gt;</c>).</summary>
    Gemma,

    /// <summary>Phi-3 / Phi-3.5 (<c>&lt;|user|&gt;\n…&lt;|end|&gt;</c>).</summary>
    Phi3,
}

/// <summary>
/// Renders a conversation as a model's chat template would, for the common families, recognised
/// from distinctive markers in the GGUF <c>tokenizer.chat_template</c> text (the Jinja is not
/// executed). The exact renderings are listed in docs/REASONING.md. Immutable.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The knowledge-date header of Llama 3.1's system turn (its template's default date).</summary>
    public const string Llama31DateHeader = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

    private static readonly Regex ChatMlDefaultSystem = new(@"<\|im_start\|>system\\n([^'""{}<]+?)<\|im_end\|>", RegexOptions.CultureInvariant);

    private ChatTemplate(ChatTemplateFamily family, string bosToken, string eosToken, string? defaultSystemPrompt, bool llama31)
    {
        Family = family;
        BosToken = bosToken;
        EosToken = eosToken;
        DefaultSystemPrompt = defaultSystemPrompt;
        IsLlama31 = llama31;
    }

    /// <summary>The family rendered.</summary>
    public ChatTemplateFamily Family { get; }

    /// <summary>The BOS text the template writes (Llama 2/3, Mistral, Gemma) or the plain format puts between turns.</summary>
    public string BosToken { get; }

    /// <summary>The EOS text the template writes after an assistant turn (Llama 2, Mistral, plain).</summary>
    public string EosToken { get; }

    /// <summary>The system prompt a ChatML template inserts when the conversation has none (Qwen2/2.5), or null.</summary>
    public string? DefaultSystemPrompt { get; }

    /// <summary>Whether a Llama 3 template is the 3.1+ one (a system turn with a knowledge-date header always comes first).</summary>
    public bool IsLlama31 { get; }

    /// <summary>A readable name: the family, with "3.1" for that Llama 3 variant.</summary>
    public string Name => IsLlama31 ? "Llama3.1" : Family.ToString();

    /// <summary>The template of a family, with the model's BOS and EOS texts (or the family's usual ones).</summary>
    public static ChatTemplate Create(ChatTemplateFamily family, string? bosToken = null, string? eosToken = null, string? defaultSystemPrompt = null, bool llama31 = false)
    {
        if (!Enum.IsDefined(family))
        {
            throw new ArgumentOutOfRangeException(nameof(family), family, "unknown chat template family");
        }
        bosToken ??= family switch
        {
            ChatTemplateFamily.Llama3 => "<|begin_of_text|>",
            ChatTemplateFamily.Gemma => "<bos>",
            ChatTemplateFamily.Llama2 or ChatTemplateFamily.Mistral => "<s>",
            _ => string.Empty,
        };
        eosToken ??= family switch
        {
            ChatTemplateFamily.Llama2 or ChatTemplateFamily.Mistral => "</s>",
            ChatTemplateFamily.Phi3 => "<|endoftext|>",
            ChatTemplateFamily.Llama3 => "<|eot_id|>",
            ChatTemplateFamily.Gemma => "<eos>",
            ChatTemplateFamily.ChatML => "<|im_end|>",
            _ => string.Empty,
        };
        return new ChatTemplate(family, bosToken, eosToken, family == ChatTemplateFamily.ChatML ? defaultSystemPrompt : null,
            family == ChatTemplateFamily.Llama3 && llama31);
    }

    /// <summary>Recognises the family of a Jinja chat template from its markers; <see cref="ChatTemplateFamily.Plain"/> when null or unknown.</summary>
    public static ChatTemplate Detect(string? template, string? bosToken = null, string? eosToken = null)
    {
        var family = DetectFamily(template);
        string? defaultSystem = null;
        if (family == ChatTemplateFamily.ChatML && ChatMlDefaultSystem.Match(template!) is { Success: true } match)
        {
            defaultSystem = match.Groups[1].Value.Replace("\\n", "\n", StringComparison.Ordinal);
        }
        bool llama31 = family == ChatTemplateFamily.Llama3 && template!.Contains("Cutting Knowledge Date", StringComparison.Ordinal);
        return Create(family, bosToken, eosToken, defaultSystem, llama31);
    }

    /// <summary>The template of a model: its <see cref="IReasoningModel.ChatTemplate"/>, with its tokenizer's BOS and EOS texts.</summary>
    public static ChatTemplate ForModel(IReasoningModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Detect(model.ChatTemplate, TokenText(model.Tokenizer, model.Tokenizer.BosId), TokenText(model.Tokenizer, model.Tokenizer.EosId));
    }

    /// <summary>The family a template's text belongs to.</summary>
    public static ChatTemplateFamily DetectFamily(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return ChatTemplateFamily.Plain;
        }
        bool Has(string marker) => template.Contains(marker, StringComparison.Ordinal);
        if (Has("<|im_start|>"))
        {
            return ChatTemplateFamily.ChatML;
        }
        if (Has("<|start_header_id|>"))
        {
            return ChatTemplateFamily.Llama3;
        }
        if (Has("<start_of_turn>"))
        {
            return ChatTemplateFamily.Gemma;
        }
        if (Has("<|user|>") && Has("<|assistant|>") && Has("<|end|>"))
        {
            return ChatTemplateFamily.Phi3;
        }
        if (Has("[INST]") && Has("<<SYS>>"))
        {
            return ChatTemplateFamily.Llama2;
        }
        if (Has("[INST]"))
        {
            return ChatTemplateFamily.Mistral;
        }
        return ChatTemplateFamily.Plain;
    }

    /// <summary>Renders <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> the text ends where the assistant's reply begins.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var text = new StringBuilder();
        switch (Family)
        {
            case ChatTemplateFamily.ChatML:
                RenderChatMl(text, messages, addGenerationPrompt);
                break;
            case ChatTemplateFamily.Llama3:
                RenderLlama3(text, messages, addGenerationPrompt);
                break;
            case ChatTemplateFamily.Llama2:
                RenderLlama2(text, messages);
                break;
            case ChatTemplateFamily.Mistral:
                RenderMistral(text, messages);
                break;
            case ChatTemplateFamily.Gemma:
                RenderGemma(text, messages, addGenerationPrompt);
                break;
            case ChatTemplateFamily.Phi3:
                RenderPhi3(text, messages, addGenerationPrompt);
                break;
            default:
                RenderPlain(text, messages);
                break;
        }
        return text.ToString();
    }

    private static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    private void RenderChatMl(StringBuilder text, IReadOnlyList<ChatMessage> messages, bool generation)
    {
        if (DefaultSystemPrompt is not null && (messages.Count == 0 || messages[0].Role != ChatRole.System))
        {
            text.Append("<|im_start|>system\n").Append(DefaultSystemPrompt).Append("<|im_end|>\n");
        }
        foreach (var m in messages)
        {
            text.Append("<|im_start|>").Append(RoleName(m.Role)).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        }
        if (generation)
        {
            text.Append("<|im_start|>assistant\n");
        }
    }

    private void RenderLlama3(StringBuilder text, IReadOnlyList<ChatMessage> messages, bool generation)
    {
        text.Append(BosToken);
        int start = 0;
        if (IsLlama31)
        {
            string system = messages.Count > 0 && messages[0].Role == ChatRole.System ? messages[0].Content.Trim() : string.Empty;
            start = messages.Count > 0 && messages[0].Role == ChatRole.System ? 1 : 0;
            text.Append("<|start_header_id|>system<|end_header_id|>\n\n").Append(Llama31DateHeader).Append(system).Append("<|eot_id|>");
        }
        for (int i = start; i < messages.Count; i++)
        {
            text.Append("<|start_header_id|>").Append(RoleName(messages[i].Role)).Append("<|end_header_id|>\n\n")
                .Append(messages[i].Content.Trim()).Append("<|eot_id|>");
        }
        if (generation)
        {
            text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
    }

    private void RenderLlama2(StringBuilder text, IReadOnlyList<ChatMessage> messages)
    {
        string? system = messages.Count > 0 && messages[0].Role == ChatRole.System ? messages[0].Content : null;
        int start = system is null ? 0 : 1;
        for (int i = start; i < messages.Count; i++)
        {
            var m = messages[i];
            string content = i == start && system is not null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.Content : m.Content;
            if (m.Role == ChatRole.Assistant)
            {
                text.Append(' ').Append(content.Trim()).Append(' ').Append(EosToken);
            }
            else
            {
                text.Append(BosToken).Append("[INST] ").Append(content.Trim()).Append(" [/INST]");
            }
        }
    }

    private void RenderMistral(StringBuilder text, IReadOnlyList<ChatMessage> messages)
    {
        text.Append(BosToken);
        string? pending = null;
        foreach (var m in messages)
        {
            switch (m.Role)
            {
                case ChatRole.System:
                    pending = m.Content;
                    break;
                case ChatRole.User:
                    text.Append("[INST] ").Append(pending is null ? m.Content : pending + "\n\n" + m.Content).Append(" [/INST]");
                    pending = null;
                    break;
                default:
                    text.Append(m.Content).Append(EosToken);
                    break;
            }
        }
    }

    private void RenderGemma(StringBuilder text, IReadOnlyList<ChatMessage> messages, bool generation)
    {
        text.Append(BosToken);
        string? pending = null;
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System)
            {
                pending = m.Content + "\n\n";
                continue;
            }
            text.Append("<start_of_turn>").Append(m.Role == ChatRole.Assistant ? "model" : "user").Append('\n');
            if (pending is not null && m.Role == ChatRole.User)
            {
                text.Append(pending);
                pending = null;
            }
            text.Append(m.Content.Trim()).Append("<end_of_turn>\n");
        }
        if (generation)
        {
            text.Append("<start_of_turn>model\n");
        }
    }

    private void RenderPhi3(StringBuilder text, IReadOnlyList<ChatMessage> messages, bool generation)
    {
        foreach (var m in messages)
        {
            text.Append("<|").Append(RoleName(m.Role)).Append("|>\n").Append(m.Content).Append("<|end|>\n");
        }
        text.Append(generation ? "<|assistant|>\n" : EosToken);
    }

    private void RenderPlain(StringBuilder text, IReadOnlyList<ChatMessage> messages)
    {
        bool afterAssistant = false;
        foreach (var m in messages)
        {
            switch (m.Role)
            {
                case ChatRole.System:
                    text.Append(m.Content).Append("\n\n");
                    break;
                case ChatRole.User:
                    if (afterAssistant)
                    {
                        text.Append(BosToken.Length > 0 || EosToken.Length > 0 ? BosToken : "\n\n");
                    }
                    text.Append(m.Content);
                    break;
                default:
                    text.Append(m.Content).Append(EosToken);
                    break;
            }
            afterAssistant = m.Role == ChatRole.Assistant;
        }
    }

    private static string? TokenText(ModelTokenizer tokenizer, int? id) => id is int value ? tokenizer.GetTokenText(value) : null;
}
