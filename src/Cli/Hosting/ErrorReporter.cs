using QuantRuntime.Formats;
using QuantRuntime.Inference;

namespace QuantRuntime.Cli.Hosting;

/// <summary>Turns an exception into one line on standard error and an exit code: never a stack trace.</summary>
internal static class ErrorReporter
{
    /// <summary>Prints <paramref name="error"/> and returns the exit code it maps to.</summary>
    public static int Report(Exception error, string? modelPath = null)
    {
        (int code, string message) = error switch
        {
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
            ModelFormatException e => (ExitCodes.InvalidInput, modelPath is null ? e.Message : $"{modelPath}: {e.Message}"),
            FileNotFoundException e => (ExitCodes.InvalidInput, e.Message),
            DirectoryNotFoundException e => (ExitCodes.InvalidInput, e.Message),
            UsageException e => (ExitCodes.InvalidInput, e.Message),
            ContextOverflowException e => (ExitCodes.InvalidInput, e.Message),
            ArgumentException e => (ExitCodes.InvalidInput, StripParameterName(e.Message)),
            NotSupportedException e => (ExitCodes.InvalidInput, e.Message),
            UnauthorizedAccessException e => (ExitCodes.Failure, e.Message),
            IOException e => (ExitCodes.Failure, e.Message),
            _ => (ExitCodes.Failure, $"internal error ({error.GetType().Name}): {error.Message}"),
        };
        Console.Error.WriteLine($"error: {OneLine(message)}");
        if (Environment.GetEnvironmentVariable("QUANT_DEBUG") == "1")
        {
            Console.Error.WriteLine(error);
        }
        return code;
    }

    /// <summary>
    /// One line, safe for a terminal: line breaks become spaces and other control characters
    /// (ESC, BEL, C1 controls...) are shown as <c>\xHH</c>, since messages may quote text from a
    /// hostile file (a key or token name) that would otherwise drive the terminal.
    /// </summary>
    internal static string OneLine(string text)
    {
        string line = text.ReplaceLineEndings(" ").Trim();
        if (!line.Any(char.IsControl))
        {
            return line;
        }
        var escaped = new System.Text.StringBuilder(line.Length + 16);
        foreach (char c in line)
        {
            if (char.IsControl(c))
            {
                escaped.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                escaped.Append(c);
            }
        }
        return escaped.ToString();
    }

    // ArgumentException appends " (Parameter 'x')", which says nothing to a command-line user.
    private static string StripParameterName(string message)
    {
        int at = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }
}
