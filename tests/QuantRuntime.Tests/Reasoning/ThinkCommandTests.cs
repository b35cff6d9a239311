using System.Text.Json;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Reasoning;

/// <summary><c>quant think</c> end to end on tiny random-weight GGUFs with and without thinking tags.</summary>
public sealed class ThinkCommandTests : IClassFixture<ThinkCommandTests.Models>
{
    public sealed class Models : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public Models()
        {
            Tags = ReasoningTestModels.WriteGguf(_temp.File("tags.gguf"), thinkTags: true);
            Trigger = ReasoningTestModels.WriteGguf(_temp.File("trigger.gguf"), thinkTags: false);
        }

        public string Tags { get; }

        public string Trigger { get; }

        public void Dispose() => _temp.Dispose();
    }

    private readonly Models _models;

    public ThinkCommandTests(Models models) => _models = models;

    private static JsonElement Json(QuantCli.Result result)
    {
        Assert.True(result.ExitCode == 0, result.StandardError);
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    [Fact]
    public void ChainOfThought_Json_HasTheDocumentedFields()
    {
        var root = Json(QuantCli.Run("think", "-m", _models.Tags, "-p", "What is 2 + 3?", "--budget", "6", "--max-answer-tokens", "5", "--json"));
        Assert.Equal("cot", root.GetProperty("mode").GetString());
        Assert.Equal("tags", root.GetProperty("style").GetString());
        Assert.Equal(JsonValueKind.String, root.GetProperty("thoughts").ValueKind);
        Assert.InRange(root.GetProperty("thought_tokens").GetInt32(), 0, 6);
        Assert.InRange(root.GetProperty("answer_tokens").GetInt32(), 1, 6);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("information_gain_bits").ValueKind);
        Assert.True(root.GetProperty("seconds").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("votes").ValueKind);
        Assert.Contains(root.GetProperty("answer").ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
        Assert.Equal(JsonValueKind.String, root.GetProperty("answer_text").ValueKind);
        // Greedy by default: the same command gives the same object but for the timings.
        var again = Json(QuantCli.Run("think", "-m", _models.Tags, "-p", "What is 2 + 3?", "--budget", "6", "--max-answer-tokens", "5", "--json"));
        Assert.Equal(root.GetProperty("thoughts").GetString(), again.GetProperty("thoughts").GetString());
        Assert.Equal(root.GetProperty("answer_text").GetString(), again.GetProperty("answer_text").GetString());
    }

    [Fact]
    public void SelfConsistency_Json_HasAThoughtPerChainAndVotes()
    {
        var root = Json(QuantCli.Run("think", "-m", _models.Tags, "-p", "What is 2 + 3?", "--mode", "self-consistency", "--samples", "3",
            "--budget", "4", "--max-answer-tokens", "3", "--temp", "0.9", "--seed", "7", "--json"));
        Assert.Equal("self-consistency", root.GetProperty("mode").GetString());
        Assert.Equal(3, root.GetProperty("thoughts").GetArrayLength());
        Assert.Equal(3, root.GetProperty("chains").GetArrayLength());
        int votes = root.GetProperty("votes").EnumerateObject().Sum(v => v.Value.GetInt32());
        Assert.InRange(votes, 0, 3);
        Assert.InRange(root.GetProperty("chosen_chain").GetInt32(), 0, 2);
    }

    [Fact]
    public void Direct_Json_HasNoThoughtsAndNoGain()
    {
        var root = Json(QuantCli.Run("think", "-m", _models.Tags, "-p", "What is 2 + 3?", "--mode", "direct", "--max-answer-tokens", "4", "--json"));
        Assert.Equal("direct", root.GetProperty("mode").GetString());
        Assert.Equal(0, root.GetProperty("thought_tokens").GetInt32());
        Assert.Equal("", root.GetProperty("thoughts").GetString());
        Assert.Equal(0, root.GetProperty("information_gain_bits").GetDouble());
    }

    [Fact]
    public void TriggerModel_AnswerLeavesOutTheTriggerPhrase()
    {
        var root = Json(QuantCli.Run("think", "-m", _models.Trigger, "-p", "What is 2 + 3?", "--budget", "5", "--max-answer-tokens", "4", "--json"));
        Assert.Equal("trigger", root.GetProperty("style").GetString());
        Assert.DoesNotContain("Therefore", root.GetProperty("answer_text").GetString()!, StringComparison.Ordinal);
        Assert.DoesNotContain("step by step", root.GetProperty("thoughts").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public void TextMode_StreamsPlainTextWhenRedirectedAndOneSummaryLine()
    {
        var result = QuantCli.Run("think", "-m", _models.Tags, "-p", "What is 2 + 3?", "--budget", "4", "--max-answer-tokens", "3");
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain('\u001b', result.StandardOutput);
        var summary = Assert.Single(result.ErrorLines);
        Assert.Matches(@"^mode: cot \| thoughts: \d+ tokens \| answer: \d+ tokens \| information: -?[\d.]+ bits \| [\d.]+ s$", summary);

        var hidden = QuantCli.Run("think", "-m", _models.Tags, "-p", "What is 2 + 3?", "--budget", "4", "--max-answer-tokens", "3", "--hide-thoughts");
        Assert.Equal(0, hidden.ExitCode);
        Assert.True(hidden.StandardOutput.Length < result.StandardOutput.Length);
    }

    [Fact]
    public void BadArguments_ExitWithInvalidInput()
    {
        Assert.Equal(2, QuantCli.Run("think", "-m", _models.Tags, "-p", "x", "--mode", "nonsense").ExitCode);
        Assert.Equal(2, QuantCli.Run("think", "-m", _models.Tags, "-p", "x", "--samples", "0", "--mode", "self-consistency").ExitCode);
        Assert.Equal(2, QuantCli.Run("think", "-m", _models.Tags, "-p", "x", "--answer-pattern", "(").ExitCode);
        Assert.Equal(2, QuantCli.Run("think", "-m", "no-such-model.gguf", "-p", "x").ExitCode);
    }
}
