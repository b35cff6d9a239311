namespace QuantRuntime.Tests.Oracle;

/// <summary>How <see cref="LlamaCppOracle"/> sets up its llama.cpp context.</summary>
/// <param name="ContextLength">Positions the context must hold (prompt plus generated tokens); llama.cpp may round it up.</param>
/// <param name="Threads">CPU threads for generation and batches; null for up to 4 of the machine's cores.</param>
/// <param name="BatchSize">Most tokens per llama.cpp decode call; longer inputs run in chunks.</param>
public sealed record LlamaCppOracleOptions(int ContextLength = 256, int? Threads = null, int BatchSize = 256);
