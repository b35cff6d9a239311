using QuantRuntime.Inference;
using QuantRuntime.Models;

namespace QuantRuntime.Quantization;

/// <summary>Measures <see cref="ActivationImportance"/> by running a model over calibration tokens.</summary>
public static class ImportanceCollector
{
    /// <summary>
    /// Runs <paramref name="tokens"/> through the model in windows of at most
    /// <paramref name="window"/> positions (each window starts a fresh KV cache) and records the
    /// activations entering every matrix, the output head included.
    /// </summary>
    public static ActivationImportance Collect(TransformerConfig config, TransformerWeights weights, IReadOnlyList<int> tokens,
        int window = 512, ComputeDevice device = ComputeDevice.Cpu, int threads = 0, CancellationToken cancellationToken = default)
    {
        if (tokens.Count == 0)
        {
            throw new ArgumentException("the calibration set is empty");
        }
        foreach (int id in tokens)
        {
            if ((uint)id >= (uint)config.VocabularySize)
            {
                throw new ArgumentException($"calibration token {id} is outside the vocabulary of {config.VocabularySize}");
            }
        }
        var importance = new ActivationImportance();
        window = Math.Clamp(window, 1, config.ContextLength);
        using var backend = new ImportanceRecordingBackend(BackendFactory.Create(device, threads), importance);
        using var model = TransformerModel.Create(config, weights, backend);
        var ids = tokens.ToArray();
        for (int start = 0; start < ids.Length; start += window)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int length = Math.Min(window, ids.Length - start);
            using var session = model.CreateSession(new SessionOptions(ContextLength: length, BatchSize: length));
            var logits = new float[length * config.VocabularySize];
            session.EvaluateAll(ids.AsSpan(start, length), logits);
        }
        importance.Tokens = ids.Length;
        return importance;
    }
}
