using System.Runtime.InteropServices;
using System.Text.Json;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Models;
using QuantRuntime.Tests.Support;
using QuantRuntime.Tests.Tokenization;

namespace QuantRuntime.Tests.Cli;

/// <summary><c>quant generate</c>, <c>logits</c> and <c>info</c> end to end, against the shared reference.</summary>
public sealed class GenerateCommandTests
{
    [SharedFixtureFact]
    public void GreedyJson_ReproducesReferenceIds()
    {
        var result = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "--prompt-ids", "1", "-n", "64", "--temp", "0", "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.Equal(Stories260KReference.GreedyIds(64), root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([1], root.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("text").ValueKind);
        Assert.Equal(1, root.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(64, root.GetProperty("generated_tokens").GetInt32());
        Assert.True(root.GetProperty("prompt_tokens_per_second").GetDouble() >= 0);
        Assert.True(root.GetProperty("generated_tokens_per_second").GetDouble() > 0);
    }

    [SharedFixtureFact]
    public void TextMode_StreamsIdsThenOneSummaryLine()
    {
        var result = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "--prompt-ids", "1", "-n", "8", "--temp", "0");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Join(' ', Stories260KReference.GreedyIds(64)[..8]), result.StandardOutput.Trim());
        var summary = Assert.Single(result.ErrorLines);
        Assert.Matches(@"^prompt: 1 tokens, [\d.]+ tok/s \| generated: 8 tokens, [\d.]+ tok/s \| stop: MaxTokens$", summary);
    }

    [SharedFixtureFact]
    public void Logits_WritesEveryPositionMatchingTheReference()
    {
        using var temp = new TempDirectory();
        string output = temp.File("logits.f32");
        int[] ids = [1, .. Stories260KReference.GreedyIds(64)[..15]];
        var result = QuantCli.Run("logits", "-m", RepositoryPaths.Stories260K, "--prompt-ids", string.Join(',', ids), "-o", output);
        Assert.Equal(0, result.ExitCode);
        var written = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(output)).ToArray();
        var expected = Stories260KReference.Logits64();
        Assert.Equal(16 * Stories260KReference.Vocabulary, written.Length);
        for (int i = 0; i < written.Length; i++)
        {
            // Same bound as the engine test: llama2.c's float32 reference vs our float64 accumulation.
            Assert.True(Math.Abs(written[i] - expected[i]) <= 1e-4, $"logit {i}: {written[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void TokenizedModel_GeneratesTextAndInfoDescribesIt()
    {
        using var temp = new TempDirectory();
        string vocabularyPath = temp.File("vocab.gguf");
        SyntheticVocabularies.WriteGguf(vocabularyPath, SyntheticVocabularies.SentencePiece(), "llama", null);
        GgufMetadata metadata;
        int vocabulary;
        using (var vocab = GgufFile.Open(vocabularyPath))
        {
            metadata = vocab.Metadata;
            vocabulary = metadata.GetArrayOrNull("tokenizer.ggml.tokens")!.Count;
        }
        var config = new TransformerConfig("llama", 64, 96, 2, 4, 2, 16, vocabulary, 128, 1e-5f, 10000f, RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: false);
        string model = temp.File("model.gguf");
        GgufModelWriter.Build(config, SyntheticWeights.Create(config, seed: 5), metadata, "tiny").Save(model);

        var generated = QuantCli.Run("generate", "-m", model, "-p", "Once upon a time", "-n", "12", "--temp", "0", "--json");
        Assert.Equal(0, generated.ExitCode);
        using var json = JsonDocument.Parse(generated.StandardOutput);
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("text").ValueKind);
        Assert.Equal(1, json.RootElement.GetProperty("prompt_ids")[0].GetInt32()); // BOS

        var info = QuantCli.Run("info", "-m", model, "--json");
        Assert.Equal(0, info.ExitCode);
        using var infoJson = JsonDocument.Parse(info.StandardOutput);
        var root = infoJson.RootElement;
        Assert.Equal("llama", root.GetProperty("architecture").GetString());
        Assert.Equal("llama", root.GetProperty("tokenizer").GetString());
        Assert.Equal(2, root.GetProperty("block_count").GetInt32());
        Assert.Equal(vocabulary, root.GetProperty("vocab_size").GetInt32());
        Assert.Equal(new FileInfo(model).Length, root.GetProperty("file_size").GetInt64());
        // Nine tensors per block, plus embedding, output norm and the untied output head.
        Assert.Equal(config.BlockCount * 9 + 3, root.GetProperty("tensor_types").GetProperty("f32").GetProperty("tensors").GetInt32());
    }
}
