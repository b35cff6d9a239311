namespace QuantRuntime.Benchmarking;

/// <summary>One engine's results.</summary>
/// <param name="Engine">Engine name.</param>
/// <param name="Prompt">The pp test.</param>
/// <param name="Generation">The tg test, or null when not run.</param>
public sealed record ThroughputResult(string Engine, ThroughputSample Prompt, ThroughputSample? Generation);
