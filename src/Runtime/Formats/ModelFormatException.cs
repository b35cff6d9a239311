namespace QuantRuntime.Formats;

/// <summary>
/// A model file is malformed, truncated, hostile or of a kind this runtime does not support.
/// The message is one line naming the problem, fit to show a user as is.
/// </summary>
public sealed class ModelFormatException : FormatException
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public ModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public ModelFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
