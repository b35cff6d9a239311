namespace QuantRuntime.Quantization;

/// <summary>How the output head (and the token embedding it may share) is stored.</summary>
public enum OutputHeadPrecision
{
    /// <summary>Like every other matrix.</summary>
    Same,

    /// <summary>fp16.</summary>
    F16,

    /// <summary>ggml Q8_0 (where rows allow).</summary>
    Q8_0,
}
