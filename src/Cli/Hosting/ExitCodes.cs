namespace QuantRuntime.Cli.Hosting;

/// <summary>The process exit codes of <c>quant</c>, as documented in the README.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>A failure while running: an I/O error, or a defect (reported as an internal error).</summary>
    public const int Failure = 1;

    /// <summary>Invalid input: a bad flag or value, a missing or malformed model file, a prompt that does not fit.</summary>
    public const int InvalidInput = 2;

    /// <summary>Stopped by Ctrl-C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
