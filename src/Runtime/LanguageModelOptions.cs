using QuantRuntime.Inference;

namespace QuantRuntime;

/// <summary>How a <see cref="LanguageModel"/> is loaded.</summary>
/// <param name="Device">Where the forward pass runs.</param>
/// <param name="Threads">CPU worker threads; 0 for one per core.</param>
public sealed record LanguageModelOptions(ComputeDevice Device = ComputeDevice.Auto, int Threads = 0);
