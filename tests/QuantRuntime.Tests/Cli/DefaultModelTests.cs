using System.Text.Json;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Cli;

/// <summary>Without -m, the commands use the model the repository ships (models/arith-reasoner.gguf).</summary>
public sealed class DefaultModelTests
{
    private static bool Shipped => File.Exists(Path.Combine(RepositoryPaths.Root, "models", "arith-reasoner.gguf"));

    [Fact]
    public void Think_WithoutModel_AnswersTheReadmeQuestion()
    {
        Assert.True(Shipped, "models/arith-reasoner.gguf is part of the repository");
        var result = QuantCli.Run("think", "-p", "What is 4821 + 3797?", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("8618", json.RootElement.GetProperty("answer").GetString());
    }

    [Fact]
    public void Generate_WithoutModel_StreamsText()
    {
        var result = QuantCli.Run("generate", "-p", "What is 372 * 6?", "-n", "64", "--temp", "0", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        string text = json.RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("<think>", text);
        Assert.EndsWith("</think>2232", text);
    }
}
