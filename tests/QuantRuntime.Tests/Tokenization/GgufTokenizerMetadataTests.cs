using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>What <see cref="ModelTokenizer.FromGguf"/> makes of missing and inconsistent metadata.</summary>
public sealed class GgufTokenizerMetadataTests
{
    private static readonly string[] Tokens = ["<unk>", "<s>", "</s>", "\u2581a", "a", "b"];

    [Fact]
    public void A_file_without_a_tokenizer_has_none()
    {
        Assert.Null(ModelTokenizer.FromGguf(Metadata(("general.architecture", GgufValue.FromString("llama")))));
        Assert.Null(ModelTokenizer.FromGguf(Metadata(("tokenizer.ggml.model", GgufValue.FromString("llama")))));
        Assert.Null(ModelTokenizer.FromGguf(Metadata(("tokenizer.ggml.model", GgufValue.FromString("none")), TokensEntry())));
    }

    [Fact]
    public void A_minimal_sentencepiece_vocabulary_gets_llama_cpp_defaults()
    {
        var tokenizer = ModelTokenizer.FromGguf(Metadata(("tokenizer.ggml.model", GgufValue.FromString("llama")), TokensEntry()))!;
        Assert.Equal((1, 2, true, false, true), (tokenizer.BosId, tokenizer.EosId, tokenizer.AddBos, tokenizer.AddEos, tokenizer.AddSpacePrefix));
        Assert.Equal([1, 3, 5], tokenizer.Encode("ab")); // no byte tokens and no scores: "▁a" then "b"
        Assert.True(tokenizer.IsEndOfGeneration(2));
    }

    [Theory]
    [InlineData("tokenizer.ggml.scores", "scores")]
    [InlineData("tokenizer.ggml.token_type", "token_type")]
    public void Per_token_arrays_must_match_the_tokens(string key, string mention)
    {
        var value = key.EndsWith("scores", StringComparison.Ordinal) ? GgufValue.FromArray(GgufArray.Of(new float[3])) : GgufValue.FromArray(GgufArray.Of(new int[3]));
        var e = Assert.Throws<ModelFormatException>(() => ModelTokenizer.FromGguf(Metadata(("tokenizer.ggml.model", GgufValue.FromString("llama")), TokensEntry(), (key, value))));
        Assert.Contains(mention, e.Message);
    }

    [Theory]
    [InlineData("tokenizer.ggml.model", "bert", "not supported")]
    [InlineData("tokenizer.ggml.pre", "unheard-of", "unheard-of")]
    public void Unknown_kinds_are_rejected(string key, string value, string mention)
    {
        var model = key == "tokenizer.ggml.model" ? value : "gpt2";
        var e = Assert.Throws<ModelFormatException>(() => ModelTokenizer.FromGguf(Metadata(
            ("tokenizer.ggml.model", GgufValue.FromString(model)), TokensEntry(), ("tokenizer.ggml.pre", GgufValue.FromString(value)),
            ("tokenizer.ggml.merges", GgufValue.FromArray(GgufArray.Of(new[] { "a b" }))))));
        Assert.Contains(mention, e.Message);
    }

    [Fact]
    public void Inconsistent_entries_are_rejected()
    {
        static void Rejects(params (string, GgufValue)[] extra) => Assert.Throws<ModelFormatException>(() =>
            ModelTokenizer.FromGguf(Metadata([("tokenizer.ggml.model", GgufValue.FromString("llama")), TokensEntry(), .. extra])));

        Rejects(("tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(6)));
        Rejects(("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of(new[] { 2, 3, 3, 1, 1, 9 }))));
        Rejects(("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of(new[] { 2, 3, 3, 6, 1, 1 })))); // "▁a" is no byte token
        Rejects(("tokenizer.ggml.scores", GgufValue.FromArray(GgufArray.Of(new[] { "x", "y", "z", "u", "v", "w" }))));
        Assert.Throws<ModelFormatException>(() => ModelTokenizer.FromGguf(Metadata(
            ("tokenizer.ggml.model", GgufValue.FromString("gpt2")), TokensEntry(), ("tokenizer.ggml.pre", GgufValue.FromString("gpt-2")),
            ("tokenizer.ggml.merges", GgufValue.FromArray(GgufArray.Of(new[] { "a c" }))))));
        Assert.Throws<ModelFormatException>(() => ModelTokenizer.FromGguf(Metadata(
            ("tokenizer.ggml.model", GgufValue.FromString("gpt2")), TokensEntry(), ("tokenizer.ggml.pre", GgufValue.FromString("gpt-2")))));
    }

    [Fact]
    public void Sentencepiece_byte_tokens_are_found_by_text_wherever_they_are()
    {
        string[] tokens = ["<unk>", "<s>", "</s>", .. Enumerable.Range(0, 256).Select(b => $"<0x{255 - b:X2}>")];
        var tokenizer = ModelTokenizer.FromGguf(Metadata(
            ("tokenizer.ggml.model", GgufValue.FromString("llama")),
            ("tokenizer.ggml.tokens", GgufValue.FromArray(GgufArray.Of(tokens))),
            ("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of([2, 3, 3, .. Enumerable.Repeat(6, 256)])))))!;
        int Byte(int b) => 3 + 255 - b;
        Assert.Equal([1, Byte(0xE2), Byte(0x96), Byte(0x81), Byte('A')], tokenizer.Encode("A"));
        Assert.Equal("\u2581A", tokenizer.Decode(tokenizer.Encode("A"), skipSpecialTokens: true)); // bytes of the escaped text, as in llama.cpp
    }

    private static (string, GgufValue) TokensEntry() => ("tokenizer.ggml.tokens", GgufValue.FromArray(GgufArray.Of(Tokens)));

    private static GgufMetadata Metadata(params (string Key, GgufValue Value)[] entries) =>
        new(entries.Select(e => new KeyValuePair<string, GgufValue>(e.Key, e.Value)));
}
