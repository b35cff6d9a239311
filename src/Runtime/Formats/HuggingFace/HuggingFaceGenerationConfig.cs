using QuantRuntime.Generation;

namespace QuantRuntime.Formats.HuggingFace;

/// <summary>A checkpoint's <c>generation_config.json</c>: special ids and the author's sampling defaults.</summary>
/// <param name="BosTokenId"><c>bos_token_id</c>, if any.</param>
/// <param name="EosTokenIds"><c>eos_token_id</c> (an integer or a list): every id that ends generation.</param>
/// <param name="PadTokenId"><c>pad_token_id</c>, if any.</param>
/// <param name="DoSample"><c>do_sample</c>: Transformers decodes greedily unless it is true.</param>
/// <param name="Temperature"><c>temperature</c>, if given.</param>
/// <param name="TopP"><c>top_p</c>, if given.</param>
/// <param name="TopK"><c>top_k</c>, if given.</param>
/// <param name="MinP"><c>min_p</c>, if given.</param>
/// <param name="RepetitionPenalty"><c>repetition_penalty</c>, if given.</param>
/// <param name="MaxNewTokens"><c>max_new_tokens</c>, if given.</param>
public sealed record HuggingFaceGenerationConfig(
    int? BosTokenId,
    IReadOnlyList<int> EosTokenIds,
    int? PadTokenId,
    bool DoSample,
    float? Temperature,
    float? TopP,
    int? TopK,
    float? MinP,
    float? RepetitionPenalty,
    int? MaxNewTokens)
{
    /// <summary>The largest generation_config.json read.</summary>
    public const long MaxFileBytes = 16 << 20;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is malformed.</exception>
    public static HuggingFaceGenerationConfig Read(string path)
    {
        using var json = JsonFile.Read(path, MaxFileBytes);
        var root = json.Root;
        float? Real(string key) => json.Number(root, key) is double v ? (float)v : null;
        return new HuggingFaceGenerationConfig(
            BosTokenId: (int?)json.Integer(root, "bos_token_id"),
            EosTokenIds: json.IntegerOrList(root, "eos_token_id"),
            PadTokenId: (int?)json.Integer(root, "pad_token_id"),
            DoSample: json.Bool(root, "do_sample") ?? false,
            Temperature: Real("temperature"),
            TopP: Real("top_p"),
            TopK: (int?)json.Integer(root, "top_k"),
            MinP: Real("min_p"),
            RepetitionPenalty: Real("repetition_penalty"),
            MaxNewTokens: (int?)json.Integer(root, "max_new_tokens"));
    }

    /// <summary>
    /// The sampling these defaults ask for, as Transformers applies them: greedy unless
    /// <see cref="DoSample"/>; otherwise Transformers' defaults (temperature 1, top-k 50, top-p 1,
    /// no min-p, no repetition penalty) where a value is not given.
    /// </summary>
    public SamplingOptions ToSamplingOptions(ulong seed = 42) => DoSample
        ? new SamplingOptions(
            Temperature: Temperature ?? 1f,
            TopK: TopK ?? 50,
            TopP: TopP is > 0 and <= 1 ? TopP.Value : 1f,
            MinP: MinP ?? 0f,
            RepetitionPenalty: RepetitionPenalty ?? 1f,
            Seed: seed)
        : SamplingOptions.Greedy with { Seed = seed };
}
