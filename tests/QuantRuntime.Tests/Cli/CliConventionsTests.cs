using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuantRuntime.Tests.Reasoning;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Cli;

/// <summary>
/// Conventions every <c>quant</c> command keeps: help with examples, <c>--json</c> where it reports,
/// no escape codes on a pipe, and on a terminal colour only without <c>NO_COLOR</c>.
/// </summary>
public sealed partial class CliConventionsTests
{
    /// <summary>Commands that print a report (chat is interactive and has none).</summary>
    private static readonly string[] Reporting = ["generate", "logits", "info", "quantize", "think", "eval", "bench"];

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex ColourCode();

    /// <summary>The subcommands listed by <c>quant --help</c>.</summary>
    private static List<string> Commands()
    {
        var help = QuantCli.Run("--help");
        Assert.Equal(0, help.ExitCode);
        var lines = help.StandardOutput.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "Commands:");
        Assert.True(start >= 0, help.StandardOutput);
        return [.. lines.Skip(start + 1)
            .Select(l => Regex.Match(l, @"^  ([a-z][a-z-]*)(\s|$)"))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public void EveryCommand_HasHelpWithExamples()
    {
        var commands = Commands();
        Assert.Superset(new HashSet<string>(Reporting.Append("chat")), new HashSet<string>(commands));
        foreach (string command in commands)
        {
            var help = QuantCli.Run(command, "--help");
            Assert.True(help.ExitCode == 0, $"quant {command} --help exited {help.ExitCode}");
            Assert.Matches(@"Examples?:\s*\n\s+quant " + command, help.StandardOutput);
        }
    }

    [Fact]
    public void ReportingCommands_TakeJson()
    {
        foreach (string command in Reporting)
        {
            Assert.Contains("--json", QuantCli.Run(command, "--help").StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Logits_Json_DescribesTheFileWritten()
    {
        using var temp = new TempDirectory();
        string model = ReasoningTestModels.WriteGguf(temp.File("tiny.gguf"), thinkTags: false);
        string output = temp.File("logits.f32");
        var result = QuantCli.Run("logits", "-m", model, "--prompt-ids", "1,40,41", "-o", output, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        int vocabulary = ReasoningTestModels.Tokens(thinkTags: false, chatMl: false).Length;
        Assert.Equal(output, json.RootElement.GetProperty("output").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("positions").GetInt32());
        Assert.Equal(vocabulary, json.RootElement.GetProperty("vocabulary").GetInt32());
        Assert.Equal(new FileInfo(output).Length, json.RootElement.GetProperty("bytes").GetInt64());
        Assert.Empty(result.StandardError);
    }

    [Fact]
    public void RedirectedOutput_HasNoEscapeCodes_EvenWithoutNoColor()
    {
        // On a pipe there is no progress display and no dimming, whatever NO_COLOR says.
        var result = RunWithoutNoColor("think", "-m", ShippedModel, "-p", "What is 12 + 34?");
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.DoesNotContain('\u001b', result.StandardOutput);
        Assert.DoesNotContain('\u001b', result.StandardError);
        Assert.Contains("46", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Terminal_DimsThoughts_UnlessNoColorIsSet()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            return; // util-linux's script gives the command a pseudo-terminal; without it there is nothing to check
        }
        string coloured = OnTerminal(noColor: false, "think", "-m", ShippedModel, "-p", "What is 12 + 34?");
        Assert.Contains("\u001b[2m", coloured, StringComparison.Ordinal); // thoughts dimmed
        Assert.Contains("46", coloured, StringComparison.Ordinal);

        string plain = OnTerminal(noColor: true, "think", "-m", ShippedModel, "-p", "What is 12 + 34?");
        Assert.DoesNotMatch(ColourCode(), plain);
        Assert.Contains("46", plain, StringComparison.Ordinal);
    }

    private static string ShippedModel => Path.Combine(RepositoryPaths.Root, "models", "arith-reasoner.gguf");

    private static QuantCli.Result RunWithoutNoColor(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "quant.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Remove("NO_COLOR");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "quant did not finish in 2 minutes");
        return new QuantCli.Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs quant with its standard output and error on a pseudo-terminal (util-linux <c>script</c>); returns what the terminal showed.</summary>
    private static string OnTerminal(bool noColor, params string[] arguments)
    {
        string command = string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "quant.dll") }.Concat(arguments).Select(Quote));
        var start = new ProcessStartInfo("/usr/bin/script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-q", "-e", "-c", command, "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Remove("NO_COLOR");
        if (noColor)
        {
            start.Environment["NO_COLOR"] = "1";
        }
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "quant on a terminal did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, $"quant on a terminal exited {process.ExitCode}: {output.Result}");
        return output.Result;
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
