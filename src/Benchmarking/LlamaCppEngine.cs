using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace QuantRuntime.Benchmarking;

/// <summary>
/// llama.cpp (through LLamaSharp 0.30) behind <see cref="IThroughputEngine"/>, with its own defaults
/// (flash attention as llama.cpp decides, F16 KV cache) and the thread count given, so the
/// comparison is against llama.cpp as its users run it.
/// </summary>
public sealed class LlamaCppEngine : IThroughputEngine
{
    private static readonly object LoadGate = new();
    private static bool _loaded;
    // Held in a field so the native side never calls a collected delegate.
    private static readonly NativeLogConfig.LLamaLogCallback Silent = (_, _) => { };
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private int _position;

    /// <summary>Loads <paramref name="path"/> in llama.cpp with <paramref name="threads"/> threads and a context of <paramref name="contextLength"/>.</summary>
    /// <exception cref="InvalidOperationException">llama.cpp refused the file.</exception>
    public LlamaCppEngine(string path, int threads, int contextLength)
    {
        EnsureLoaded();
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)contextLength,
            BatchSize = (uint)contextLength,
            UBatchSize = (uint)Math.Min(contextLength, 512),
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        try
        {
            _weights = LLamaWeights.LoadFromFile(parameters);
            _context = _weights.CreateContext(parameters);
        }
        catch (Exception e)
        {
            _weights?.Dispose();
            throw new InvalidOperationException($"llama.cpp could not load '{path}': {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public string Name => "llama.cpp";

    /// <inheritdoc />
    public TimeSpan Prefill(ReadOnlySpan<int> tokens)
    {
        _context.NativeHandle.MemoryClear(true);
        _batch.Clear();
        for (int i = 0; i < tokens.Length; i++)
        {
            _batch.Add(tokens[i], i, LLamaSeqId.Zero, logits: i == tokens.Length - 1);
        }
        long start = Stopwatch.GetTimestamp();
        Decode();
        var elapsed = Stopwatch.GetElapsedTime(start);
        _position = tokens.Length;
        return elapsed;
    }

    /// <inheritdoc />
    public TimeSpan Decode(ReadOnlySpan<int> tokens)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (int token in tokens)
        {
            _batch.Clear();
            _batch.Add(token, _position++, LLamaSeqId.Zero, logits: true);
            Decode();
        }
        return Stopwatch.GetElapsedTime(start);
    }

    private void Decode()
    {
        var result = _context.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama_decode returned {result}");
        }
    }

    /// <summary>Loads the native library once, with llama.cpp's log silenced (the benchmark prints its own table).</summary>
    private static void EnsureLoaded()
    {
        lock (LoadGate)
        {
            if (_loaded)
            {
                return;
            }
            NativeLogConfig.llama_log_set(Silent);
            NativeApi.llama_empty_call();
            NativeLogConfig.llama_log_set(Silent);
            _loaded = true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
