using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Models;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Reasoning;

/// <summary>
/// A character-level SentencePiece vocabulary (every printable ASCII character one token, '▁' for a
/// space, byte tokens for the rest), optionally with <c>&lt;think&gt;</c>/<c>&lt;/think&gt;</c> as
/// user-defined tokens and ChatML's control tokens, and tiny random-weight GGUF models over it.
/// </summary>
public static class ReasoningTestModels
{
    public const int BosId = 1, EosId = 2;

    public static string[] Tokens(bool thinkTags, bool chatMl)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        tokens.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        if (thinkTags)
        {
            tokens.AddRange(["<think>", "</think>"]);
        }
        if (chatMl)
        {
            tokens.AddRange(["<|im_start|>", "<|im_end|>"]);
        }
        tokens.Add("\u2581");
        tokens.AddRange(Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(c => ((char)c).ToString()));
        return [.. tokens];
    }

    /// <summary>The <c>tokenizer.*</c> metadata of the vocabulary (plus a chat template when given).</summary>
    public static GgufMetadata Metadata(bool thinkTags = true, bool chatMl = false, string? chatTemplate = null)
    {
        string[] tokens = Tokens(thinkTags, chatMl);
        var types = tokens.Select((t, i) => (int)(i switch
        {
            0 => TokenType.Unknown,
            1 or 2 => TokenType.Control,
            < 259 => TokenType.Byte,
            _ when t is "<think>" or "</think>" => TokenType.UserDefined,
            _ when t.StartsWith("<|", StringComparison.Ordinal) => TokenType.Control,
            _ => TokenType.Normal,
        })).ToArray();
        var entries = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.name", GgufValue.FromString("reasoning-test")),
            new("tokenizer.ggml.model", GgufValue.FromString("llama")),
            new("tokenizer.ggml.tokens", GgufValue.FromArray(GgufArray.Of(tokens))),
            new("tokenizer.ggml.scores", GgufValue.FromArray(GgufArray.Of(new float[tokens.Length]))),
            new("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of(types))),
            new("tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(BosId)),
            new("tokenizer.ggml.eos_token_id", GgufValue.FromUInt32(EosId)),
            new("tokenizer.ggml.unknown_token_id", GgufValue.FromUInt32(0)),
            new("tokenizer.ggml.add_bos_token", GgufValue.FromBool(true)),
            new("tokenizer.ggml.add_eos_token", GgufValue.FromBool(false)),
            new("tokenizer.ggml.add_space_prefix", GgufValue.FromBool(false)),
        };
        if (chatTemplate is not null)
        {
            entries.Add(new("tokenizer.chat_template", GgufValue.FromString(chatTemplate)));
        }
        return new GgufMetadata(entries);
    }

    public static ModelTokenizer Tokenizer(bool thinkTags = true, bool chatMl = false) =>
        ModelTokenizer.FromGguf(Metadata(thinkTags, chatMl))!;

    /// <summary>Writes a tiny random-weight model (2 blocks, width 32) with this vocabulary.</summary>
    public static string WriteGguf(string path, bool thinkTags = true, bool chatMl = false, string? chatTemplate = null, ulong seed = 11)
    {
        var metadata = Metadata(thinkTags, chatMl, chatTemplate);
        int vocabulary = Tokens(thinkTags, chatMl).Length;
        var config = new TransformerConfig("llama", 32, 64, 2, 4, 2, 8, vocabulary, 512, 1e-5f, 10000f, RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: false);
        GgufModelWriter.Build(config, SyntheticWeights.Create(config, seed: seed), metadata, "reasoning-test").Save(path);
        return path;
    }
}
