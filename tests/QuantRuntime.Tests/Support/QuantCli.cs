using System.Diagnostics;

namespace QuantRuntime.Tests.Support;

/// <summary>Runs the built <c>quant</c> executable as a separate process, as a user would.</summary>
public static class QuantCli
{
    /// <summary>The outcome of one run.</summary>
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        /// <summary>Non-empty lines of standard error.</summary>
        public string[] ErrorLines => StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs <c>quant</c> with <paramref name="arguments"/> and waits (at most 2 minutes).</summary>
    public static Result Run(params string[] arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "quant.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"quant {string.Join(' ', arguments)} did not finish in 2 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
