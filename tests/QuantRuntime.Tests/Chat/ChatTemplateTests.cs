using QuantRuntime.Chat;

namespace QuantRuntime.Tests.Chat;

/// <summary>Each family's template is recognised from its Jinja text and renders exactly what the Jinja renders.</summary>
public sealed class ChatTemplateTests
{
    // The official templates (abridged only where they raise errors or handle tools).
    public const string Qwen2Template = @"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    public const string Qwen25Template = @"{%- if tools %}{{- '<|im_start|>system\n' }}{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- else %}{{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}{%- endif %}{%- else %}{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}{%- endif %}{%- endif %}{%- for message in messages %}{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}";

    public const string ChatMlTemplate = @"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    public const string Llama3Template = @"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    public const string Llama31Template = @"{{- bos_token }}{%- if not date_string is defined %}{%- set date_string = ""26 Jul 2024"" %}{%- endif %}{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}{%- else %}{%- set system_message = """" %}{%- endif %}{{- ""<|start_header_id|>system<|end_header_id|>\n\n"" }}{{- ""Cutting Knowledge Date: December 2023\n"" }}{{- ""Today Date: "" + date_string + ""\n\n"" }}{{- system_message }}{{- ""<|eot_id|>"" }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}";

    public const string Llama2Template = @"{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    public const string MistralTemplate = @"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";

    public const string GemmaTemplate = @"{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

    public const string Phi3Template = @"{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

    private static readonly ChatMessage[] Conversation =
    [
        ChatMessage.System("You are terse."),
        ChatMessage.User("Hi"),
        ChatMessage.Assistant("Hello!"),
        ChatMessage.User("2+2?"),
    ];

    public static TheoryData<string, string?, string?, ChatTemplateFamily, string> Renderings() => new()
    {
        {
            ChatMlTemplate, null, null, ChatTemplateFamily.ChatML,
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"
        },
        {
            Llama3Template, "<|begin_of_text|>", "<|end_of_text|>", ChatTemplateFamily.Llama3,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        },
        {
            Llama31Template, "<|begin_of_text|>", "<|eot_id|>", ChatTemplateFamily.Llama3,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        },
        {
            Llama2Template, "<s>", "</s>", ChatTemplateFamily.Llama2,
            "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] 2+2? [/INST]"
        },
        {
            MistralTemplate, "<s>", "</s>", ChatTemplateFamily.Mistral,
            "<s>[INST] You are terse.\n\nHi [/INST]Hello!</s>[INST] 2+2? [/INST]"
        },
        {
            GemmaTemplate, "<bos>", "<eos>", ChatTemplateFamily.Gemma,
            "<bos><start_of_turn>user\nYou are terse.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\n2+2?<end_of_turn>\n<start_of_turn>model\n"
        },
        {
            Phi3Template, "<s>", "<|endoftext|>", ChatTemplateFamily.Phi3,
            "<|system|>\nYou are terse.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\n2+2?<|end|>\n<|assistant|>\n"
        },
        {
            null!, "<s>", "</s>", ChatTemplateFamily.Plain,
            "You are terse.\n\nHiHello!</s><s>2+2?"
        },
    };

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Family_IsRecognisedAndRendersTheExactText(string template, string? bos, string? eos, ChatTemplateFamily family, string expected)
    {
        var chat = ChatTemplate.Detect(template, bos, eos);
        Assert.Equal(family, chat.Family);
        Assert.Equal(expected, chat.Render(Conversation, addGenerationPrompt: true));
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void NewTurn_ContinuesThePrimedTextAfterTheReply(string template, string? bos, string? eos, ChatTemplateFamily family, string expected)
    {
        // What ChatSession relies on to append only the new turn to the cache.
        _ = (family, expected);
        var chat = ChatTemplate.Detect(template, bos, eos);
        var history = new List<ChatMessage> { ChatMessage.System("Be brief."), ChatMessage.User("First?") };
        string primed = chat.Render(history, addGenerationPrompt: true);
        history.AddRange([ChatMessage.Assistant("Reply one."), ChatMessage.User("Second?")]);
        string next = chat.Render(history, addGenerationPrompt: true);
        Assert.StartsWith(primed, next, StringComparison.Ordinal);
        Assert.Contains("Reply one.", next[primed.Length..], StringComparison.Ordinal);
        Assert.Contains("Second?", next[primed.Length..], StringComparison.Ordinal);
    }

    [Fact]
    public void ChatMl_WithoutASystemMessage_AddsTheTemplatesDefault()
    {
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Detect(Qwen2Template).Render([ChatMessage.User("Hi")]));
        var qwen25 = ChatTemplate.Detect(Qwen25Template);
        Assert.Equal("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", qwen25.DefaultSystemPrompt);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            qwen25.Render([ChatMessage.System("S"), ChatMessage.User("Hi")]));
        Assert.Null(ChatTemplate.Detect(ChatMlTemplate).DefaultSystemPrompt);
    }

    [Fact]
    public void WithoutGenerationPrompt_TheTextEndsAfterTheLastMessage()
    {
        ChatMessage[] messages = [ChatMessage.User("Hi"), ChatMessage.Assistant("Yo")];
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n", ChatTemplate.Detect(ChatMlTemplate).Render(messages, addGenerationPrompt: false));
        Assert.Equal("<|user|>\nHi<|end|>\n<|assistant|>\nYo<|end|>\n<|endoftext|>", ChatTemplate.Detect(Phi3Template).Render(messages, addGenerationPrompt: false));
        Assert.Equal("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nYo<end_of_turn>\n", ChatTemplate.Detect(GemmaTemplate).Render(messages, addGenerationPrompt: false));
    }

    [Fact]
    public void TrimmingFamilies_TrimContent()
    {
        ChatMessage[] messages = [ChatMessage.User("  Hi \n")];
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Detect(Llama3Template).Render(messages));
        Assert.Equal("<s>[INST] Hi [/INST]", ChatTemplate.Detect(Llama2Template).Render(messages));
        Assert.Equal("<|im_start|>user\n  Hi \n<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.Detect(ChatMlTemplate).Render(messages));
    }

    [Theory]
    [InlineData(null, ChatTemplateFamily.Plain)]
    [InlineData("", ChatTemplateFamily.Plain)]
    [InlineData("{{ messages }}", ChatTemplateFamily.Plain)]
    [InlineData(ChatMlTemplate, ChatTemplateFamily.ChatML)]
    [InlineData(Llama3Template, ChatTemplateFamily.Llama3)]
    [InlineData(Llama2Template, ChatTemplateFamily.Llama2)]
    [InlineData(MistralTemplate, ChatTemplateFamily.Mistral)]
    [InlineData(GemmaTemplate, ChatTemplateFamily.Gemma)]
    [InlineData(Phi3Template, ChatTemplateFamily.Phi3)]
    public void DetectFamily_ByMarkers(string? template, ChatTemplateFamily family) => Assert.Equal(family, ChatTemplate.DetectFamily(template));
}
