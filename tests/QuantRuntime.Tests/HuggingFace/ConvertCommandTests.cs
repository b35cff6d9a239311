using System.Text.Json;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Tests.Oracle;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.HuggingFace;

/// <summary><c>quant convert</c>: its output, quantizing on the way, and its refusals.</summary>
public sealed class ConvertCommandTests(ITestOutputHelper output)
{
    [Fact]
    public void Convert_writes_a_gguf_and_reports_it_as_json()
    {
        using var temp = new TempDirectory();
        var written = HuggingFaceFolder.Write(temp.File("checkpoint"), "llama", TensorType.BF16, TokenizerStyle.SentencePieceLegacy, shards: 2);
        string target = temp.File("out.gguf");
        var result = QuantCli.Run("convert", "-m", written.Folder, "-o", target, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.Equal("LlamaForCausalLM", root.GetProperty("source_architecture").GetString());
        Assert.Equal("llama", root.GetProperty("architecture").GetString());
        Assert.True(root.GetProperty("query_key_permuted").GetBoolean());
        Assert.Equal("llama", root.GetProperty("tokenizer").GetString());
        Assert.True(root.GetProperty("chat_template").GetBoolean());
        Assert.Equal(new FileInfo(target).Length, root.GetProperty("output_bytes").GetInt64());
        Assert.Contains(root.GetProperty("tensors").EnumerateArray(), t => t.GetProperty("name").GetString() == "output_norm.weight" && t.GetProperty("to").GetString() == "f32");
        Assert.Empty(Directory.GetFiles(temp.Path, "*.partial"));

        using var file = ModelFile.Open(target);
        Assert.Equal(ModelFileFormat.Gguf, file.Format);
        Assert.Equal(32u, (uint)file.Gguf!.Metadata.GetInteger("general.file_type")); // llama.cpp's MOSTLY_BF16
        Assert.Equal("checkpoint", file.Gguf.Metadata.GetStringOrNull("general.name"));
        Assert.All(file.Weights.Named().Where(t => t.Tensor.Rows > 1), t => Assert.Equal(TensorType.BF16, t.Tensor.Type));

        // Text output is one line on standard output.
        var text = QuantCli.Run("convert", "-m", written.Folder, "-o", temp.File("text.gguf"));
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("-> ", Assert.Single(text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Convert_quantizes_on_the_way_and_llama_cpp_loads_the_result()
    {
        using var temp = new TempDirectory();
        var written = HuggingFaceFolder.Write(temp.File("checkpoint"), "qwen2", TensorType.F16, TokenizerStyle.Qwen2ByteLevel);
        string target = temp.File("q8.gguf");
        var result = QuantCli.Run("convert", "-m", written.Folder, "-o", target, "--scheme", "q8_0", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("q8_0", json.RootElement.GetProperty("scheme").GetString());
        Assert.Equal("qwen2", json.RootElement.GetProperty("tokenizer_pre").GetString());
        Assert.False(json.RootElement.GetProperty("query_key_permuted").GetBoolean());

        using var file = ModelFile.Open(target);
        Assert.All(file.Weights.Named().Where(t => t.Tensor.Rows > 1), t => Assert.Equal(TensorType.Q8_0, t.Tensor.Type));
        using var folder = ModelFile.Open(written.Folder);
        int[] tokens = SyntheticOracleModels.Tokens(written.Config.VocabularySize, 16, seed: 3);
        using var oracle = LlamaCppOracle.Load(target);
        var agreement = LogitAgreement.Measure(ReferenceRun.EvaluateAll(folder.Config, folder.Weights, tokens), oracle.EvaluateAll(tokens), oracle.VocabularySize);
        output.WriteLine($"llama.cpp on the q8_0 conversion vs our engine on the F16 folder: {agreement}");
        Assert.True(agreement.WorstRelative < 5e-2, $"q8_0 conversion is too far from the folder: {agreement}");
    }

    [Theory]
    [InlineData("inside", "--output is inside the input checkpoint folder")]
    [InlineData("equal", "--output is inside the input checkpoint folder")]
    [InlineData("file-input", "is a file; quant convert reads a Hugging Face checkpoint folder")]
    [InlineData("missing-input", "does not exist")]
    [InlineData("bad-scheme", "unknown scheme 'q5_0'")]
    [InlineData("keep-output-alone", "--keep-output only applies with --scheme")]
    [InlineData("not-a-checkpoint", "config.json is missing")]
    public void Bad_invocation_is_a_one_line_exit_2(string case_, string expected)
    {
        using var temp = new TempDirectory();
        string folder = temp.File("checkpoint");
        HuggingFaceFolder.Write(folder, "llama", TensorType.F32, TokenizerStyle.SentencePieceLegacy);
        string[] arguments = case_ switch
        {
            "inside" => ["-m", folder, "-o", Path.Combine(folder, "sub", "..", "model.gguf")],
            "equal" => ["-m", folder + Path.DirectorySeparatorChar, "-o", folder],
            "file-input" => ["-m", Path.Combine(folder, "config.json"), "-o", temp.File("out.gguf")],
            "missing-input" => ["-m", temp.File("nowhere"), "-o", temp.File("out.gguf")],
            "bad-scheme" => ["-m", folder, "-o", temp.File("out.gguf"), "--scheme", "q5_0"],
            "keep-output-alone" => ["-m", folder, "-o", temp.File("out.gguf"), "--keep-output", "f16"],
            "not-a-checkpoint" => ["-m", Directory.CreateDirectory(temp.File("empty")).FullName, "-o", temp.File("out.gguf")],
            _ => throw new ArgumentOutOfRangeException(nameof(case_)),
        };
        var before = Directory.GetFiles(folder).ToDictionary(f => f, File.ReadAllBytes);
        var result = QuantCli.Run(["convert", .. arguments]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.ErrorLines));
        Assert.False(File.Exists(temp.File("out.gguf")));
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(folder).Order());
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }
}
