namespace QuantRuntime.Benchmarking;

/// <summary>What a throughput run measures, as llama-bench does: pp (prompt) and tg (generation) tests.</summary>
/// <param name="PromptTokens">Tokens evaluated in one batch for the prompt test (0 skips it).</param>
/// <param name="GeneratedTokens">Tokens generated one at a time after the prompt (0 skips it).</param>
/// <param name="Repetitions">Timed repetitions after one untimed warm-up.</param>
/// <param name="Seed">Seed of the (random, fixed) token ids fed in: sampling is not part of the measurement.</param>
public sealed record ThroughputSettings(int PromptTokens = 128, int GeneratedTokens = 64, int Repetitions = 5, ulong Seed = 1)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        if (PromptTokens < 1)
        {
            throw new ArgumentException($"prompt tokens {PromptTokens} must be at least 1 (generation continues after the prompt)");
        }
        if (GeneratedTokens < 0)
        {
            throw new ArgumentException($"generated tokens {GeneratedTokens} must be >= 0");
        }
        if (Repetitions < 1)
        {
            throw new ArgumentException($"repetitions {Repetitions} must be at least 1");
        }
    }
}
