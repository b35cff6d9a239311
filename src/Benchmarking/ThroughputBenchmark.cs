using QuantRuntime.Numerics;

namespace QuantRuntime.Benchmarking;

/// <summary>
/// Runs the pp/tg tests on one or more engines, alternating them run by run (A B A B …) so that
/// the machine's slow drifts and a noisy neighbour hit every engine alike; tokenization and
/// sampling are outside the timed region. One untimed warm-up run per engine comes first.
/// </summary>
public static class ThroughputBenchmark
{
    /// <summary>Measures every engine with the same token ids.</summary>
    /// <param name="engines">Engines to compare, in report order.</param>
    /// <param name="settings">Test sizes and repetitions.</param>
    /// <param name="vocabularySize">Ids are drawn below this.</param>
    /// <param name="progress">Told "engine test repetition" before each timed run.</param>
    /// <param name="cancellationToken">Stops between runs.</param>
    public static IReadOnlyList<ThroughputResult> Run(IReadOnlyList<IThroughputEngine> engines, ThroughputSettings settings, int vocabularySize,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        settings.Validate();
        var random = new SeededRandom(settings.Seed);
        // Ids 0-2 are often control tokens; stay above them.
        int[] prompt = [.. Enumerable.Range(0, settings.PromptTokens).Select(_ => 3 + random.NextInt(vocabularySize - 3))];
        int[] generated = [.. Enumerable.Range(0, settings.GeneratedTokens).Select(_ => 3 + random.NextInt(vocabularySize - 3))];
        var promptRates = engines.Select(_ => new List<double>()).ToArray();
        var generationRates = engines.Select(_ => new List<double>()).ToArray();
        foreach (var engine in engines)
        {
            engine.Prefill(prompt);
            engine.Decode(generated);
        }
        for (int repetition = 0; repetition < settings.Repetitions; repetition++)
        {
            for (int e = 0; e < engines.Count; e++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report($"{engines[e].Name} run {repetition + 1}/{settings.Repetitions}");
                promptRates[e].Add(prompt.Length / engines[e].Prefill(prompt).TotalSeconds);
                if (generated.Length > 0)
                {
                    generationRates[e].Add(generated.Length / engines[e].Decode(generated).TotalSeconds);
                }
            }
        }
        return [.. engines.Select((engine, e) => new ThroughputResult(
            engine.Name,
            new ThroughputSample($"pp{settings.PromptTokens}", promptRates[e]),
            generated.Length > 0 ? new ThroughputSample($"tg{settings.GeneratedTokens}", generationRates[e]) : null))];
    }
}
