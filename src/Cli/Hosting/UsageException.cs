namespace QuantRuntime.Cli.Hosting;

/// <summary>The command line asks for something invalid; the message is shown as is.</summary>
internal sealed class UsageException(string message) : Exception(message);
