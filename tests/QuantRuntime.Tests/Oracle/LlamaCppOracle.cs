using LLama;
using LLama.Common;
using LLama.Native;

namespace QuantRuntime.Tests.Oracle;

/// <summary>
/// llama.cpp (through LLamaSharp) as a numerical oracle: loads a GGUF file with settings that
/// keep its arithmetic close to float32 (no flash attention, float32 KV cache) and exposes
/// per-position logits and greedy generation by token id. Every call starts from an empty KV
/// cache. Calls are serialised; one instance may be shared by the tests of a class.
/// </summary>
public sealed class LlamaCppOracle : IDisposable
{
    private readonly object _gate = new();
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly int _batchSize;
    private bool _disposed;

    private LlamaCppOracle(string path, LLamaWeights weights, LLamaContext context, int batchSize)
    {
        Path = path;
        _weights = weights;
        _context = context;
        _batchSize = batchSize;
        VocabularySize = weights.Vocab.Count;
        ContextLength = checked((int)context.ContextSize);
    }

    /// <summary>The GGUF file loaded.</summary>
    public string Path { get; }

    /// <summary>Width of a logits row (llama.cpp's vocabulary size).</summary>
    public int VocabularySize { get; }

    /// <summary>Positions the context holds.</summary>
    public int ContextLength { get; }

    /// <summary>The GGUF metadata as llama.cpp read it (values rendered as strings).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _weights.Metadata;

    /// <summary>Loads <paramref name="ggufPath"/> with oracle settings.</summary>
    /// <exception cref="InvalidOperationException">llama.cpp refused the file; the message carries the tail of its log.</exception>
    public static LlamaCppOracle Load(string ggufPath, LlamaCppOracleOptions? options = null)
    {
        options ??= new LlamaCppOracleOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ContextLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        if (!File.Exists(ggufPath))
        {
            throw new FileNotFoundException($"GGUF file '{ggufPath}' does not exist", ggufPath);
        }
        LlamaCppNative.EnsureLoaded();
        int threads = options.Threads ?? Math.Clamp(Environment.ProcessorCount, 1, 4);
        uint batch = (uint)Math.Min(options.BatchSize, options.ContextLength);
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)options.ContextLength,
            BatchSize = batch,
            UBatchSize = batch,
            SeqMax = 1,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            // Oracle settings (shared GUIDE §3): with flash attention or an F16 KV cache, logits move by ~5e-2.
            FlashAttention = false,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        LLamaWeights weights;
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"llama.cpp could not load '{ggufPath}': {e.Message}{Environment.NewLine}llama.cpp log:{Environment.NewLine}{LlamaCppNative.LogTail()}", e);
        }
        try
        {
            var context = weights.CreateContext(parameters);
            return new LlamaCppOracle(ggufPath, weights, context, (int)batch);
        }
        catch (Exception e)
        {
            weights.Dispose();
            throw new InvalidOperationException(
                $"llama.cpp could not create a context for '{ggufPath}': {e.Message}{Environment.NewLine}llama.cpp log:{Environment.NewLine}{LlamaCppNative.LogTail()}", e);
        }
    }

    /// <summary>
    /// Evaluates <paramref name="tokens"/> from position 0 (in batches of the configured size) and returns
    /// the logits after every token, row after row: <c>tokens.Length * VocabularySize</c> floats.
    /// </summary>
    public float[] EvaluateAll(ReadOnlySpan<int> tokens)
    {
        var logits = new float[checked(tokens.Length * VocabularySize)];
        lock (_gate)
        {
            Reset(tokens.Length);
            var batch = new LLamaBatch();
            for (int start = 0; start < tokens.Length; start += _batchSize)
            {
                int rows = Math.Min(_batchSize, tokens.Length - start);
                batch.Clear();
                for (int i = 0; i < rows; i++)
                {
                    batch.Add(tokens[start + i], start + i, LLamaSeqId.Zero, logits: true);
                }
                Decode(batch);
                for (int i = 0; i < rows; i++)
                {
                    _context.NativeHandle.GetLogitsIth(i).CopyTo(logits.AsSpan((start + i) * VocabularySize, VocabularySize));
                }
            }
        }
        return logits;
    }

    /// <summary>
    /// Greedy decoding: evaluates <paramref name="prompt"/> from position 0, then repeatedly takes the
    /// arg-max (lowest id on ties) and feeds it back. Returns the <paramref name="count"/> chosen ids.
    /// </summary>
    public int[] GenerateGreedy(ReadOnlySpan<int> prompt, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (prompt.IsEmpty)
        {
            throw new ArgumentException("the prompt is empty", nameof(prompt));
        }
        var ids = new int[count];
        if (count == 0)
        {
            return ids;
        }
        lock (_gate)
        {
            // The last generated id is never fed back.
            Reset(prompt.Length + count - 1);
            var batch = new LLamaBatch();
            for (int start = 0; start < prompt.Length; start += _batchSize)
            {
                int rows = Math.Min(_batchSize, prompt.Length - start);
                batch.Clear();
                for (int i = 0; i < rows; i++)
                {
                    int position = start + i;
                    batch.Add(prompt[position], position, LLamaSeqId.Zero, logits: position == prompt.Length - 1);
                }
                Decode(batch);
            }
            int lastIndex = (prompt.Length - 1) % _batchSize;
            for (int step = 0; step < count; step++)
            {
                ids[step] = ArgMax(_context.NativeHandle.GetLogitsIth(lastIndex));
                if (step + 1 == count)
                {
                    break;
                }
                batch.Clear();
                batch.Add(ids[step], prompt.Length + step, LLamaSeqId.Zero, logits: true);
                Decode(batch);
                lastIndex = 0;
            }
        }
        return ids;
    }

    /// <summary>Index of the largest value; the lowest index among equals (as our engine's greedy sampler).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    private void Reset(int positions)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (positions > ContextLength)
        {
            throw new ArgumentException($"{positions} positions are needed but the oracle's context holds {ContextLength}");
        }
        _context.NativeHandle.MemoryClear(true);
    }

    private void Decode(LLamaBatch batch)
    {
        var result = _context.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException(
                $"llama_decode returned {result} for '{Path}'{Environment.NewLine}llama.cpp log:{Environment.NewLine}{LlamaCppNative.LogTail()}");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _context.Dispose();
            _weights.Dispose();
        }
    }
}
