namespace QuantRuntime.Quantization;

/// <summary>How a group's scale (and minimum) are chosen.</summary>
public enum QuantizationMethod
{
    /// <summary>Round to nearest from the group's range (ggml-exact for Q8_0, Q4_0, Q4_1).</summary>
    RoundToNearest,

    /// <summary>Search the scale that minimises the (importance-weighted) squared error.</summary>
    Search,
}
