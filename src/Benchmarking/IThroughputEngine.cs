namespace QuantRuntime.Benchmarking;

/// <summary>An inference engine as a throughput benchmark sees it: timed prompt processing and token generation.</summary>
public interface IThroughputEngine : IDisposable
{
    /// <summary>Engine name for the report (<c>quantruntime</c>, <c>llama.cpp</c>).</summary>
    string Name { get; }

    /// <summary>Clears the context and evaluates <paramref name="tokens"/> in one batch from position 0 (logits of the last only).</summary>
    /// <returns>The time taken.</returns>
    TimeSpan Prefill(ReadOnlySpan<int> tokens);

    /// <summary>Continues after the last prefill, one token per step, computing each step's logits.</summary>
    /// <returns>The time taken.</returns>
    TimeSpan Decode(ReadOnlySpan<int> tokens);
}
