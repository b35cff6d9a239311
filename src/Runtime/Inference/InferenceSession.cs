using QuantRuntime.Kernels.Backends;

namespace QuantRuntime.Inference;

/// <summary>
/// One stream of tokens through a shared <see cref="TransformerModel"/>: owns the KV cache and
/// the activation buffers, and advances <see cref="Position"/> as tokens are evaluated. Not
/// thread-safe; run concurrent generations on separate sessions.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly TransformerModel _model;
    private readonly IComputeBackend _backend;
    private readonly IDeviceBuffer[] _keyCache;
    private readonly IDeviceBuffer[] _valueCache;
    private readonly IDeviceBuffer _x, _normed, _q, _k, _v, _attention, _projected, _gate, _up, _activated, _lastRow, _lastLogits;
    private IDeviceBuffer? _allLogits;
    private readonly int _batchSize;

    internal InferenceSession(TransformerModel model, SessionOptions options)
    {
        _model = model;
        _backend = model.Backend;
        var c = model.Config;
        ContextLength = options.ContextLength ?? c.ContextLength;
        if (ContextLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"context length {ContextLength} must be positive");
        }
        _batchSize = Math.Clamp(options.BatchSize, 1, ContextLength);
        int b = _batchSize;
        _keyCache = new IDeviceBuffer[c.BlockCount];
        _valueCache = new IDeviceBuffer[c.BlockCount];
        for (int i = 0; i < c.BlockCount; i++)
        {
            _keyCache[i] = _backend.Allocate(checked(ContextLength * c.KvWidth));
            _valueCache[i] = _backend.Allocate(checked(ContextLength * c.KvWidth));
        }
        _x = _backend.Allocate(b * c.EmbeddingLength);
        _normed = _backend.Allocate(b * c.EmbeddingLength);
        _q = _backend.Allocate(b * c.QueryWidth);
        _k = _backend.Allocate(b * c.KvWidth);
        _v = _backend.Allocate(b * c.KvWidth);
        _attention = _backend.Allocate(b * c.QueryWidth);
        _projected = _backend.Allocate(b * c.EmbeddingLength);
        _gate = _backend.Allocate(b * c.FeedForwardLength);
        _up = _backend.Allocate(b * c.FeedForwardLength);
        _activated = _backend.Allocate(b * c.FeedForwardLength);
        _lastRow = _backend.Allocate(c.EmbeddingLength);
        _lastLogits = _backend.Allocate(c.VocabularySize);
    }

    /// <summary>Position the next evaluated token will take (tokens already in the KV cache).</summary>
    public int Position { get; private set; }

    /// <summary>Positions the KV cache holds.</summary>
    public int ContextLength { get; }

    /// <summary>Width of a logits row.</summary>
    public int VocabularySize => _model.Config.VocabularySize;

    /// <summary>Tokens run through the model since the session was created (prompt and generated).</summary>
    public long TokensEvaluated { get; private set; }

    /// <summary>Evaluates <paramref name="tokens"/> at the next positions and writes the last token's logits.</summary>
    /// <exception cref="ContextOverflowException">The tokens do not fit in the remaining context.</exception>
    public void Evaluate(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        CheckLength(logits.Length, VocabularySize, "logits");
        Run(tokens, logits, allRows: false);
    }

    /// <summary>Evaluates <paramref name="tokens"/> and writes the logits after every one of them, row by row.</summary>
    /// <exception cref="ContextOverflowException">The tokens do not fit in the remaining context.</exception>
    public void EvaluateAll(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        CheckLength(logits.Length, (long)tokens.Length * VocabularySize, "logits");
        Run(tokens, logits, allRows: true);
    }

    /// <summary>Forgets every position from <paramref name="position"/> on, so evaluation resumes there.</summary>
    public void Rewind(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, Position);
        Position = position;
    }

    /// <summary>Copies the first <paramref name="length"/> cached positions of <paramref name="source"/> into this session and continues from there.</summary>
    public void CopyPrefixFrom(InferenceSession source, int length)
    {
        if (source._model != _model)
        {
            throw new ArgumentException("sessions belong to different models", nameof(source));
        }
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, source.Position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ContextLength);
        int width = _model.Config.KvWidth;
        for (int i = 0; i < _keyCache.Length; i++)
        {
            _backend.Copy(source._keyCache[i], 0, _keyCache[i], 0, length * width);
            _backend.Copy(source._valueCache[i], 0, _valueCache[i], 0, length * width);
        }
        Position = length;
    }

    private void Run(ReadOnlySpan<int> tokens, Span<float> logits, bool allRows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens to evaluate", nameof(tokens));
        }
        if ((long)Position + tokens.Length > ContextLength)
        {
            throw new ContextOverflowException(
                $"{Position + (long)tokens.Length} positions are needed but the context holds {ContextLength}");
        }
        int vocab = VocabularySize;
        for (int start = 0; start < tokens.Length; start += _batchSize)
        {
            int rows = Math.Min(_batchSize, tokens.Length - start);
            bool last = start + rows == tokens.Length;
            Forward(tokens.Slice(start, rows));
            if (allRows)
            {
                _allLogits ??= _backend.Allocate(checked(_batchSize * vocab));
                _backend.RmsNorm(_x, _model.OutputNorm, _normed, rows, _model.Config.RmsNormEpsilon);
                _backend.MatMul(_model.Output, _normed, _allLogits, rows);
                _backend.Read(_allLogits, 0, logits.Slice(start * vocab, rows * vocab));
            }
            else if (last)
            {
                int dim = _model.Config.EmbeddingLength;
                _backend.Copy(_x, (rows - 1) * dim, _lastRow, 0, dim);
                _backend.RmsNorm(_lastRow, _model.OutputNorm, _lastRow, 1, _model.Config.RmsNormEpsilon);
                _backend.MatMul(_model.Output, _lastRow, _lastLogits, 1);
                _backend.Read(_lastLogits, 0, logits);
            }
        }
    }

    /// <summary>Runs the transformer blocks over one chunk, leaving the residual stream in <c>_x</c>.</summary>
    private void Forward(ReadOnlySpan<int> tokens)
    {
        var c = _model.Config;
        var be = _backend;
        int rows = tokens.Length;
        be.Embed(_model.Embedding, tokens, _x);
        var shape = new AttentionShape(rows, Position, c.HeadCount, c.KvHeadCount, c.HeadDim);
        for (int layer = 0; layer < c.BlockCount; layer++)
        {
            var block = _model.Blocks[layer];
            be.RmsNorm(_x, block.AttentionNorm, _normed, rows, c.RmsNormEpsilon);
            be.MatMul(block.Query, _normed, _q, rows);
            be.MatMul(block.Key, _normed, _k, rows);
            be.MatMul(block.Value, _normed, _v, rows);
            if (block.QueryBias is not null) be.AddBias(_q, block.QueryBias, rows);
            if (block.KeyBias is not null) be.AddBias(_k, block.KeyBias, rows);
            if (block.ValueBias is not null) be.AddBias(_v, block.ValueBias, rows);
            be.Rope(_q, rows, c.HeadCount, c.HeadDim, Position, c.RopeTheta, c.RopeStyle);
            be.Rope(_k, rows, c.KvHeadCount, c.HeadDim, Position, c.RopeTheta, c.RopeStyle);
            be.Copy(_k, 0, _keyCache[layer], Position * c.KvWidth, rows * c.KvWidth);
            be.Copy(_v, 0, _valueCache[layer], Position * c.KvWidth, rows * c.KvWidth);
            be.Attention(_q, _keyCache[layer], _valueCache[layer], _attention, shape);
            be.MatMul(block.AttentionOutput, _attention, _projected, rows);
            be.Add(_x, _projected, rows * c.EmbeddingLength);

            be.RmsNorm(_x, block.FeedForwardNorm, _normed, rows, c.RmsNormEpsilon);
            be.MatMul(block.Gate, _normed, _gate, rows);
            be.MatMul(block.Up, _normed, _up, rows);
            be.SwiGlu(_gate, _up, _activated, rows * c.FeedForwardLength);
            be.MatMul(block.Down, _activated, _projected, rows);
            be.Add(_x, _projected, rows * c.EmbeddingLength);
        }
        Position += rows;
        TokensEvaluated += rows;
    }

    private static void CheckLength(long actual, long expected, string what)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{what} span holds {actual} floats, expected {expected}");
        }
    }

    private bool _disposed;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var buffer in _keyCache.Concat(_valueCache))
        {
            buffer.Dispose();
        }
        foreach (var buffer in new[] { _x, _normed, _q, _k, _v, _attention, _projected, _gate, _up, _activated, _lastRow, _lastLogits, _allLogits })
        {
            buffer?.Dispose();
        }
    }
}
