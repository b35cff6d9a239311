using System.Diagnostics;
using QuantRuntime.Inference;

namespace QuantRuntime.Benchmarking;

/// <summary>This runtime behind <see cref="IThroughputEngine"/>: one session, reset between runs.</summary>
public sealed class QuantRuntimeEngine : IThroughputEngine
{
    private readonly LanguageModel _model;
    private readonly InferenceSession _session;
    private readonly float[] _logits;

    /// <summary>Loads <paramref name="path"/> on <paramref name="device"/> with <paramref name="threads"/> threads and a context of <paramref name="contextLength"/>.</summary>
    public QuantRuntimeEngine(string path, ComputeDevice device, int threads, int contextLength)
    {
        _model = LanguageModel.Load(path, new LanguageModelOptions(device, threads));
        _session = _model.Transformer.CreateSession(new SessionOptions(ContextLength: contextLength, BatchSize: contextLength));
        _logits = new float[_model.Config.VocabularySize];
        Name = "quantruntime";
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The loaded model.</summary>
    public LanguageModel Model => _model;

    /// <inheritdoc />
    public TimeSpan Prefill(ReadOnlySpan<int> tokens)
    {
        _session.Rewind(0);
        long start = Stopwatch.GetTimestamp();
        _session.Evaluate(tokens, _logits);
        return Stopwatch.GetElapsedTime(start);
    }

    /// <inheritdoc />
    public TimeSpan Decode(ReadOnlySpan<int> tokens)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < tokens.Length; i++)
        {
            _session.Evaluate(tokens.Slice(i, 1), _logits);
        }
        return Stopwatch.GetElapsedTime(start);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _model.Dispose();
    }
}
