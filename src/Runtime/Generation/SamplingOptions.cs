namespace QuantRuntime.Generation;

/// <summary>
/// How the next token is chosen. Filters apply in llama.cpp's default order: repetition penalty,
/// top-k, top-p, min-p (on the untempered distribution), then temperature and a seeded draw.
/// </summary>
/// <param name="Temperature">Softmax temperature; 0 (or less) picks the most likely token (greedy).</param>
/// <param name="TopK">Keep the k most likely tokens; 0 keeps all.</param>
/// <param name="TopP">Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.</param>
/// <param name="MinP">Drop tokens less likely than min-p times the most likely one; 0 keeps all.</param>
/// <param name="RepetitionPenalty">Divides positive (multiplies negative) logits of recent tokens; 1 disables.</param>
/// <param name="RepetitionWindow">How many recent tokens the penalty looks at.</param>
/// <param name="Seed">Seed of the draw: the same seed, model and prompt give the same tokens.</param>
public sealed record SamplingOptions(
    float Temperature = 0.8f,
    int TopK = 40,
    float TopP = 0.95f,
    float MinP = 0.05f,
    float RepetitionPenalty = 1.0f,
    int RepetitionWindow = 64,
    ulong Seed = 42)
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new(Temperature: 0);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0)
        {
            throw new ArgumentException($"temperature {Temperature} must be a finite number >= 0");
        }
        if (TopK < 0)
        {
            throw new ArgumentException($"top-k {TopK} must be >= 0");
        }
        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentException($"top-p {TopP} must be in (0, 1]");
        }
        if (!(MinP >= 0 && MinP <= 1))
        {
            throw new ArgumentException($"min-p {MinP} must be in [0, 1]");
        }
        if (!(RepetitionPenalty > 0) || !float.IsFinite(RepetitionPenalty))
        {
            throw new ArgumentException($"repetition penalty {RepetitionPenalty} must be a finite number > 0");
        }
        if (RepetitionWindow < 0)
        {
            throw new ArgumentException($"repetition window {RepetitionWindow} must be >= 0");
        }
    }
}
