namespace QuantRuntime.Quantization;

/// <summary>How a model is quantized.</summary>
/// <param name="Scheme">Target encoding of the matrices.</param>
/// <param name="Method">Round-to-nearest or scale search.</param>
/// <param name="OutputHead">Precision of the output head (and of the token embedding when tied).</param>
/// <param name="Importance">Per-column activation importance by tensor, for <see cref="QuantizationMethod.Search"/>; null for uniform.</param>
public sealed record QuantizationOptions(
    QuantizationScheme Scheme,
    QuantizationMethod Method = QuantizationMethod.RoundToNearest,
    OutputHeadPrecision OutputHead = OutputHeadPrecision.Same,
    ActivationImportance? Importance = null);
