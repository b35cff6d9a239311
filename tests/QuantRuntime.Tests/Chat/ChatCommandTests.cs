using System.Diagnostics;
using QuantRuntime.Tests.Reasoning;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Chat;

/// <summary><c>quant chat</c> with piped standard input.</summary>
public sealed class ChatCommandTests
{
    /// <summary>Runs <c>quant</c> with <paramref name="input"/> on standard input.</summary>
    private static QuantCli.Result RunWithInput(string input, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "quant.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("quant chat did not finish in 2 minutes");
        }
        return new QuantCli.Result(process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void PipedConversation_AnswersEachTurnAndAppliesCommands()
    {
        using var temp = new TempDirectory();
        string model = ReasoningTestModels.WriteGguf(temp.File("chat.gguf"), thinkTags: true, chatMl: true, chatTemplate: ChatTemplateTests.ChatMlTemplate);
        var result = RunWithInput("Hi\n/think off\nHello there\n/budget 3\n/think on\nYo\n/think\n/budget\n/bogus\n",
            "chat", "-m", model, "--budget", "4", "--max-tokens", "6");
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("thinking: off", result.ErrorLines);
        Assert.Contains("budget: 3 tokens", result.ErrorLines);
        Assert.Contains("thinking: on", result.ErrorLines);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("error: unknown command '/bogus'", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', result.StandardOutput);
        Assert.DoesNotContain("> ", result.StandardOutput, StringComparison.Ordinal); // no prompt on piped input
        Assert.True(result.StandardOutput.Length > 0);
    }

    [Fact]
    public void EndOfInputOrExit_EndsTheChat()
    {
        using var temp = new TempDirectory();
        string model = ReasoningTestModels.WriteGguf(temp.File("plain.gguf"), thinkTags: false);
        var exit = RunWithInput("/exit\nnever answered\n", "chat", "-m", model, "--max-tokens", "2");
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(string.Empty, exit.StandardOutput);
        var empty = RunWithInput("", "chat", "-m", model);
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal(2, RunWithInput("", "chat", "-m", temp.File("missing.gguf")).ExitCode); // a model that is not there
    }
}
