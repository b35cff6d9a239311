using System.Text.Json;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Cli;

/// <summary><c>quant eval --task arithmetic:N</c> on the shipped model, through the chain-of-thought decoder.</summary>
public sealed class EvalTaskTests
{
    [Fact]
    public void ArithmeticTask_ReportsEveryVariantPerModel()
    {
        string ids = Path.Combine(RepositoryPaths.Root, "models", "arith-heldout.ids");
        var result = QuantCli.Run("eval", "--ids", ids, "--ctx", "192", "--chunks", "2", "--schemes", "q8_0", "--task", "arithmetic:3", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        var baseTasks = root.GetProperty("base").GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(["direct", "chain-of-thought", "self-consistency k=5"], baseTasks.Select(t => t.GetProperty("variant").GetString()));
        Assert.All(baseTasks, t => Assert.Equal(3, t.GetProperty("total").GetInt32()));
        // The model works these three held-out problems out (it scores 99.3% on 1,000); greedy decoding is deterministic.
        Assert.Equal(3, baseTasks[1].GetProperty("correct").GetInt32());
        var scheme = root.GetProperty("schemes")[0];
        Assert.Equal(3, scheme.GetProperty("tasks").GetArrayLength());
    }

    [Fact]
    public void ArithmeticTask_RejectsABadCount()
    {
        var result = QuantCli.Run("eval", "--ids", Path.Combine(RepositoryPaths.Root, "models", "arith-heldout.ids"), "--schemes", "q8_0", "--task", "arithmetic:zero");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("number of problems must be a positive integer", result.StandardError);
    }
}
