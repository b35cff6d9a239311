using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Formats.HuggingFace;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;
using QuantRuntime.Tests.Tokenization;
using QuantRuntime.Tokenization;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.HuggingFace;

/// <summary>
/// tokenizer.json (with tokenizer_config.json) read from a folder against: the GGUF path on the
/// converted file (<see cref="ModelTokenizer.FromGguf"/>), llama.cpp on the converted file, and the
/// test vocabulary's own GGUF (whose tokenization the tokenizer parity tests check against llama.cpp).
/// </summary>
[Collection(TokenizerCollection.Name)]
public sealed class HuggingFaceTokenizerTests(TokenizerFixture fixture, ITestOutputHelper output)
{
    public static readonly TheoryData<TokenizerStyle> Styles =
        [TokenizerStyle.SentencePieceLegacy, TokenizerStyle.SentencePieceMetaspace, TokenizerStyle.Qwen2ByteLevel];

    [Theory]
    [MemberData(nameof(Styles))]
    public void TokenizerJson_encodes_as_the_converted_gguf_llama_cpp_and_the_source_vocabulary(TokenizerStyle style)
    {
        using var temp = new TempDirectory();
        string architecture = style == TokenizerStyle.Qwen2ByteLevel ? "qwen2" : "llama";
        var written = HuggingFaceFolder.Write(temp.File("checkpoint"), architecture, TensorType.F16, style);
        string gguf = temp.File("converted.gguf");
        ModelTokenizer hf;
        using (var checkpoint = HuggingFaceCheckpoint.Open(written.Folder))
        {
            hf = checkpoint.CreateTokenizer()!;
            HuggingFaceConverter.Convert(checkpoint).Writer.Save(gguf);
        }
        ModelTokenizer converted;
        using (var file = GgufFile.Open(gguf))
        {
            converted = ModelTokenizer.FromGguf(file.Metadata)!;
            Assert.Equal(HuggingFaceFolder.ChatTemplate, file.Metadata.GetStringOrNull("tokenizer.chat_template"));
            Assert.Equal(style == TokenizerStyle.Qwen2ByteLevel ? "qwen2" : null, file.Metadata.GetStringOrNull("tokenizer.ggml.pre"));
        }
        var source = fixture[style == TokenizerStyle.Qwen2ByteLevel ? "qwen2" : "spm"].Ours;
        using var llamaCpp = new LlamaCppVocabulary(gguf);

        Assert.Equal(written.Config.VocabularySize, hf.VocabularySize);
        Assert.Equal(source.Model, hf.Model);
        Assert.Equal(source.BosId, hf.BosId);
        Assert.Equal(source.EosId, hf.EosId);
        Assert.Equal(source.AddBos, hf.AddBos);
        Assert.Equal(source.AddSpacePrefix, hf.AddSpacePrefix);
        Assert.Equal(converted.BosId, hf.BosId);
        Assert.Equal(converted.EosId, hf.EosId);

        var mismatches = new List<string>();
        int compared = 0;
        foreach (string text in TokenizationStrings.All)
        {
            foreach (var (add, parse) in new[] { (true, true), (false, false), (true, false) })
            {
                var ids = hf.Encode(text, add, parse);
                compared++;
                void Check(string what, IReadOnlyList<int> expected)
                {
                    if (!expected.SequenceEqual(ids))
                    {
                        mismatches.Add($"{what} {LlamaCppParityTests.Show(text)} add={add} parse={parse}: [{string.Join(' ', expected)}] tokenizer.json [{string.Join(' ', ids)}]");
                    }
                }
                Check("converted GGUF", converted.Encode(text, add, parse));
                Check("llama.cpp", llamaCpp.Tokenize(text, add, parse));
                Check("source vocabulary", source.Encode(text, add, parse));
            }
        }
        output.WriteLine($"{style}: {compared} encodings compared three ways, {mismatches.Count} differ");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} differ:\n{string.Join('\n', mismatches.Take(15))}");
    }

    [Fact]
    public void Folder_loads_with_its_tokenizer_chat_template_and_generation_defaults()
    {
        using var temp = new TempDirectory();
        var written = HuggingFaceFolder.Write(temp.File("checkpoint"), "qwen2", TensorType.BF16, TokenizerStyle.Qwen2ByteLevel);
        using var model = LanguageModel.Load(written.Folder, new LanguageModelOptions(ComputeDevice.Cpu, Threads: 1));
        var tokenizer = Assert.IsType<ModelTokenizer>(model.Tokenizer, exactMatch: false);
        Assert.Equal("Hello world", tokenizer.Decode(tokenizer.Encode("Hello world")));
        Assert.Equal(HuggingFaceFolder.ChatTemplate, model.File.Metadata!.GetStringOrNull("tokenizer.chat_template"));
        var hf = model.File.HuggingFace!;
        Assert.Equal(HuggingFaceFolder.ChatTemplate, hf.ChatTemplate);
        var sampling = hf.GenerationConfig!.ToSamplingOptions();
        Assert.Equal((0.7f, 20, 0.8f), (sampling.Temperature, sampling.TopK, sampling.TopP));
        // The CPU backend runs the BF16 views as they are.
        using var session = model.CreateSession(16);
        var logits = new float[model.Config.VocabularySize];
        session.Evaluate([.. tokenizer.Encode("Hello world")], logits);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("""[{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]""", "gpt-2")]
    [InlineData("""[{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]""", "smollm")]
    [InlineData("""[{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]""", "llama-bpe")]
    [InlineData("""[{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]""", "qwen2")]
    public void Byte_level_pre_tokenizer_is_named_from_its_structure(string steps, string expected)
    {
        using var temp = new TempDirectory();
        WriteMinimalByteLevel(temp.Path, steps);
        var metadata = HuggingFaceTokenizer.ReadGgufMetadata(temp.Path)!;
        Assert.Equal(expected, metadata.Single(e => e.Key == "tokenizer.ggml.pre").Value.AsString());
        Assert.NotNull(HuggingFaceTokenizer.Load(temp.Path));
    }

    [Theory]
    [InlineData("""{"type": "Unigram", "vocab": [["a", 0.0]]}""", null, "model type 'Unigram' is not supported")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}""", null, "gives id 0 to both 'a' and 'b'")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}""", null, "'c' is not in model.vocab")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}""", null, "'ab' is not in model.vocab")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a  b"]}""", null, "is not two tokens separated by one space")]
    [InlineData("""{"type": "BPE", "vocab": {"a": -1}, "merges": []}""", null, "not an integer in [0, ")]
    [InlineData("""{"type": "BPE", "vocab": {"a": 0}, "merges": []}""", """[{"type": "Whitespace"}]""", "byte-level pre-tokenizer")]
    public void Malformed_tokenizer_json_is_a_one_line_error(string model, string? steps, string expected)
    {
        using var temp = new TempDirectory();
        WriteMinimalByteLevel(temp.Path, steps ?? """[{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]""", model);
        var error = Assert.Throws<ModelFormatException>(() => HuggingFaceTokenizer.Load(temp.Path));
        output.WriteLine(error.Message);
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("tokenizer.json: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    // A byte-level tokenizer.json over the 256 byte characters (plus "Ġt" and "he" merges), with the given pre-tokenizer steps.
    private static void WriteMinimalByteLevel(string folder, string steps, string? model = null)
    {
        var vocabulary = SyntheticVocabularies.ByteLevel();
        var vocab = new System.Text.Json.Nodes.JsonObject();
        for (int id = 0; id < 256; id++)
        {
            vocab[vocabulary.Tokens[id]] = id;
        }
        vocab["\u0120t"] = 256;
        vocab["he"] = 257;
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["added_tokens"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["id"] = 258, ["content"] = "<|endoftext|>", ["special"] = true }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "Sequence", ["pretokenizers"] = System.Text.Json.Nodes.JsonNode.Parse(steps) },
            ["decoder"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ByteLevel" },
            ["model"] = model is null
                ? new System.Text.Json.Nodes.JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new System.Text.Json.Nodes.JsonArray("\u0120 t", "h e") }
                : System.Text.Json.Nodes.JsonNode.Parse(model),
        };
        HuggingFaceFolder.WriteJson(Path.Combine(folder, "tokenizer.json"), json);
    }
}
