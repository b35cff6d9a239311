using System.Buffers.Binary;
using System.Text.Json;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Evaluation;

/// <summary><c>quant eval</c> run as a process: its JSON, CSV, plot and text table, and its refusals.</summary>
public sealed class EvalCommandTests(ITestOutputHelper output)
{
    /// <summary>Every per-scheme field the issue names (size, bits/weight, PPL ± error, ratio, ΔPPL, KLD statistics, same top, Δp), with their error bars.</summary>
    private static readonly string[] SchemeFields =
    [
        "scheme", "method", "bytes", "elements", "bits_per_weight",
        "ppl", "ppl_error", "ppl_ratio", "ppl_ratio_error", "delta_ppl", "delta_ppl_error",
        "kld_mean", "kld_mean_error", "kld_median", "kld_p99", "kld_max",
        "same_top_percent", "same_top_percent_error",
        "delta_p_mean", "delta_p_mean_error", "delta_p_rms", "delta_p_rms_error",
        "scored_tokens",
    ];

    [SharedFixtureFact]
    public void Stories260K_Json_OrdersSchemes_AndHoldsEveryField()
    {
        using var temp = new TempDirectory();
        string ids = temp.File("greedy256.ids");
        // BOS, then the first 255 greedy ids: one window of 256.
        File.WriteAllText(ids, string.Join(' ', new[] { 1 }.Concat(Stories260KReference.GreedyIds(256)[..255])));
        string csv = temp.File("eval.csv"), plot = temp.File("eval.png");
        var result = QuantCli.Run("eval", "-m", RepositoryPaths.Stories260K, "--ids", ids, "--schemes", "q8_0,int4-g32,q4_0",
            "--ctx", "256", "--json", "--per-tensor", "--csv", csv, "--plot", plot, "-t", "2");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.True(root.GetProperty("complete").GetBoolean());
        var evaluation = root.GetProperty("evaluation");
        Assert.Equal(1, evaluation.GetProperty("windows").GetInt32());
        Assert.Equal(127, evaluation.GetProperty("scored_tokens").GetInt32());
        Assert.Equal("second-half", evaluation.GetProperty("scoring").GetString());
        var baseModel = root.GetProperty("base");
        Assert.InRange(baseModel.GetProperty("ppl").GetDouble(), 1, 512);
        Assert.True(baseModel.GetProperty("ppl_error").GetDouble() > 0);
        Assert.Equal(32.0, baseModel.GetProperty("bits_per_weight").GetDouble());

        var schemes = root.GetProperty("schemes").EnumerateArray().ToDictionary(s => s.GetProperty("scheme").GetString()!);
        Assert.Equal(["q8_0", "int4-g32", "q4_0"], schemes.Keys);
        foreach (var (name, scheme) in schemes)
        {
            foreach (string field in SchemeFields)
            {
                Assert.True(scheme.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null, $"{name}: no {field}");
            }
            Assert.Equal(127, scheme.GetProperty("scored_tokens").GetInt32());
            Assert.InRange(scheme.GetProperty("bits_per_weight").GetDouble(), 4.5, 16);
            Assert.True(scheme.GetProperty("kld_max").GetDouble() >= scheme.GetProperty("kld_p99").GetDouble());
            // --per-tensor: every tensor with its SQNR (null only where nothing changed).
            var tensors = scheme.GetProperty("tensors").EnumerateArray().ToArray();
            Assert.Contains(tensors, t => t.GetProperty("name").GetString() == "blk.0.ffn_down.weight" && t.GetProperty("to").GetString() == "f16");
            Assert.All(tensors.Where(t => t.GetProperty("to").GetString() != "f32"), t => Assert.True(t.GetProperty("sqnr_db").GetDouble() > 10));
            output.WriteLine($"{name}: {scheme.GetProperty("bits_per_weight").GetDouble():F2} bpw, PPL {scheme.GetProperty("ppl").GetDouble():F4}, KLD {scheme.GetProperty("kld_mean").GetDouble():F5}, same top {scheme.GetProperty("same_top_percent").GetDouble():F1}%");
        }
        double Kld(string name) => schemes[name].GetProperty("kld_mean").GetDouble();
        Assert.True(Kld("q8_0") < Kld("int4-g32"), $"q8_0 KLD {Kld("q8_0")} is not below int4-g32's {Kld("int4-g32")}");
        Assert.True(Kld("q8_0") < Kld("q4_0"), $"q8_0 KLD {Kld("q8_0")} is not below q4_0's {Kld("q4_0")}");

        // CSV: a header, the base row, one row per scheme.
        var lines = File.ReadAllLines(csv);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("scheme,method,bytes,", lines[0]);
        Assert.StartsWith("base,", lines[1]);
        Assert.StartsWith("q8_0,rtn,", lines[2]);
        // The plot: a PNG of the documented size.
        byte[] png = File.ReadAllBytes(plot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal(1400, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(600, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void TextTable_ListsBaseAndSchemes()
    {
        using var temp = new TempDirectory();
        string model = WriteTinyModel(temp);
        string ids = temp.File("ids.txt");
        File.WriteAllText(ids, string.Join(",", EvaluationTestModel.Stream(70, seed: 4)));
        var result = QuantCli.Run("eval", "-m", model, "--ids", ids, "--schemes", "q8_0, q4_0", "--ctx", "32", "--score", "all", "--bos", "1");
        Assert.True(result.ExitCode == 0, result.StandardError);
        string[] lines = result.StandardOutput.Split('\n');
        Assert.Contains("2 windows of 32 (first token BOS 1), scoring the whole window: 62 tokens", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("model ", StringComparison.Ordinal) && l.Contains("KLD mean") && l.Contains("same top %"));
        Assert.Contains(lines, l => l.StartsWith("base (f32) ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("q8_0 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("q4_0 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_IsTokenizedWithTheModelsTokenizer_AndEveryWindowStartsWithBos()
    {
        using var temp = new TempDirectory();
        // A model carrying a SentencePiece tokenizer: the vocabulary-only GGUF's metadata, carried over by the model writer.
        string vocabularyPath = temp.File("vocabulary.gguf");
        var vocabulary = Tokenization.SyntheticVocabularies.SentencePiece();
        Tokenization.SyntheticVocabularies.WriteGguf(vocabularyPath, vocabulary, "llama", pre: null);
        var config = EvaluationTestModel.Config with { VocabularySize = vocabulary.Tokens.Length };
        string model = temp.File("with-tokenizer.gguf");
        using (var source = GgufFile.Open(vocabularyPath))
        {
            GgufModelWriter.Build(config, Models.SyntheticWeights.Create(config, seed: 2), source.Metadata, "with-tokenizer").Save(model);
        }
        string text = temp.File("eval.txt");
        File.WriteAllText(text, Tokenization.TrainingText.English);
        int expectedTokens;
        using (var file = Models.ModelFile.Open(model))
        {
            var tokenizer = QuantRuntime.Tokenization.ModelTokenizer.FromGguf(file.Gguf!.Metadata)!;
            Assert.True(tokenizer.AddBos);
            expectedTokens = tokenizer.Encode(Tokenization.TrainingText.English, addSpecialTokens: true, parseSpecialTokens: false).Count;
        }
        var result = QuantCli.Run("eval", "-m", model, "--text", text, "--schemes", "q8_0", "--ctx", "64", "--chunks", "3", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var evaluation = json.RootElement.GetProperty("evaluation");
        Assert.Equal("text", evaluation.GetProperty("source").GetString());
        Assert.Equal(expectedTokens, evaluation.GetProperty("stream_tokens").GetInt32());
        Assert.Equal(Math.Min(3, expectedTokens / 64), evaluation.GetProperty("windows").GetInt32());
        Assert.Equal(1, evaluation.GetProperty("bos").GetInt32());
    }

    [Theory]
    [InlineData("--schemes q8_0", "exactly one of --text FILE or --ids FILE")]
    [InlineData("--ids {ids} --text {ids} --schemes q8_0", "exactly one of --text FILE or --ids FILE")]
    [InlineData("--text {ids} --schemes q8_0", "carries no tokenizer")]
    [InlineData("--ids {ids} --schemes q8_0,q5_0", "unknown scheme 'q5_0'")]
    [InlineData("--ids {ids} --schemes q8_0,q8_0", "names 'q8_0' twice")]
    [InlineData("--ids {ids} --schemes q8_0 --task nosuch", "unknown task 'nosuch'")]
    [InlineData("--ids {ids} --schemes q8_0 --ctx 500", "exceeds the model's context")]
    [InlineData("--ids {bad} --schemes q8_0", "is not a token id")]
    public void BadInput_IsOneLineExit2(string arguments, string expected)
    {
        using var temp = new TempDirectory();
        string model = WriteTinyModel(temp);
        string ids = temp.File("ids.txt"), bad = temp.File("bad.txt");
        File.WriteAllText(ids, string.Join(" ", EvaluationTestModel.Stream(64, seed: 4)));
        File.WriteAllText(bad, "1 2 three");
        var args = new[] { "eval", "-m", model }.Concat(arguments.Replace("{ids}", ids).Replace("{bad}", bad).Split(' ')).ToArray();
        var result = QuantCli.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.ErrorLines));
    }

    private static string WriteTinyModel(TempDirectory temp)
    {
        string path = temp.File("tiny.gguf");
        GgufModelWriter.Build(EvaluationTestModel.Config, EvaluationTestModel.Weights, source: null, name: "tiny").Save(path);
        return path;
    }
}
