using QuantRuntime.Models;
using QuantRuntime.Training.Compute;

namespace QuantRuntime.Training.Model;

/// <summary>
/// The float32 forward pass of a Llama model over a <see cref="PackedBatch"/> and its hand-written
/// backward pass: embedding → per block [RMSNorm → Q, K, V → RoPE → causal GQA attention → output
/// projection → residual → RMSNorm → gate, up → SwiGLU → down → residual] → final RMSNorm →
/// output head → cross-entropy on the scored rows. Owns every activation and scratch buffer for
/// up to <c>maxRows</c> rows, so one instance serves one thread at a time.
/// </summary>
internal sealed class TransformerGraph
{
    private readonly ParameterLayout _layout;
    private readonly TransformerConfig _config;
    private readonly RopeTable _rope;
    private readonly AttentionOp _attention;
    private readonly int _maxRows;
    private readonly int _d, _qw, _kvw, _f, _vocab;

    // Activations kept for the backward pass, per layer.
    private readonly float[][] _xIn, _rstdA, _hA, _q, _k, _v, _probabilities, _att, _xMid, _rstdF, _hF, _gate, _up, _act;
    private readonly float[] _xOut, _rstdO, _hO, _hScored, _logits;
    // Gradient scratch.
    private readonly float[] _dx, _dh, _dq, _dk, _dv, _dAtt, _dGate, _dUp, _dAct, _dLogits, _dhScored, _transposed;

    public TransformerGraph(ParameterLayout layout, int maxRows)
    {
        _layout = layout;
        _config = layout.Config;
        _maxRows = maxRows;
        _d = _config.EmbeddingLength;
        _qw = _config.QueryWidth;
        _kvw = _config.KvWidth;
        _f = _config.FeedForwardLength;
        _vocab = _config.VocabularySize;
        int maxSegment = Math.Min(maxRows, _config.ContextLength);
        _rope = new RopeTable(_config.ContextLength, _config.HeadDim, _config.RopeTheta);
        _attention = new AttentionOp(_config.HeadCount, _config.KvHeadCount, _config.HeadDim, maxSegment);
        int layers = _config.BlockCount;
        float[][] PerLayer(int width) => [.. Enumerable.Range(0, layers).Select(_ => new float[maxRows * width])];
        _xIn = PerLayer(_d);
        _rstdA = PerLayer(1);
        _hA = PerLayer(_d);
        _q = PerLayer(_qw);
        _k = PerLayer(_kvw);
        _v = PerLayer(_kvw);
        // Segments of at most maxSegment rows fill maxRows: the squares sum to at most maxRows·maxSegment per head.
        _probabilities = PerLayer(_config.HeadCount * maxSegment);
        _att = PerLayer(_qw);
        _xMid = PerLayer(_d);
        _rstdF = PerLayer(1);
        _hF = PerLayer(_d);
        _gate = PerLayer(_f);
        _up = PerLayer(_f);
        _act = PerLayer(_f);
        _xOut = new float[maxRows * _d];
        _rstdO = new float[maxRows];
        _hO = new float[maxRows * _d];
        _hScored = new float[maxRows * _d];
        _logits = new float[maxRows * _vocab];
        _dx = new float[maxRows * _d];
        _dh = new float[maxRows * _d];
        _dq = new float[maxRows * _qw];
        _dk = new float[maxRows * _kvw];
        _dv = new float[maxRows * _kvw];
        _dAtt = new float[maxRows * _qw];
        _dGate = new float[maxRows * _f];
        _dUp = new float[maxRows * _f];
        _dAct = new float[maxRows * _f];
        _dLogits = new float[maxRows * _vocab];
        _dhScored = new float[maxRows * _d];
        _transposed = new float[maxRows * Math.Max(Math.Max(_d, _f), Math.Max(_vocab, _qw))];
    }

    /// <summary>Most rows one batch may have.</summary>
    public int MaxRows => _maxRows;

    /// <summary>
    /// Runs the forward and backward passes; adds the gradient of <c>lossScale · Σ losses</c> to
    /// <paramref name="gradients"/> and returns the unscaled sum of the scored rows' losses (nats).
    /// </summary>
    /// <param name="parameters">The flat parameters.</param>
    /// <param name="transposed">The parameters with every matrix transposed in place ([in × out]); see <see cref="TransposeMatrices"/>.</param>
    /// <param name="batch">The rows.</param>
    /// <param name="gradients">Flat gradient buffer, added to.</param>
    /// <param name="lossScale">Factor of every row's loss in the gradient (1 / scored rows of the whole step).</param>
    public double ForwardBackward(float[] parameters, float[] transposed, PackedBatch batch, float[] gradients, float lossScale)
    {
        int rows = CheckRows(batch);
        Forward(parameters, transposed, batch);
        int scored = batch.ScoredRows.Length;
        // Output head on the scored rows only.
        GatherRows(_hO, batch.ScoredRows, _hScored);
        var output = _layout.Output;
        Gemm.MatMul(_hScored, transposed.AsSpan(output.Offset, output.Length), _logits, scored, _d, _vocab, accumulate: false);
        double loss = 0;
        for (int s = 0; s < scored; s++)
        {
            loss += CrossEntropyOp.ForwardBackward(_logits.AsSpan(s * _vocab, _vocab), batch.Targets[batch.ScoredRows[s]], lossScale, _dLogits.AsSpan(s * _vocab, _vocab));
        }
        Backward(parameters, batch, gradients, rows, scored);
        return loss;
    }

    /// <summary>The logits of every row ([rows × vocabulary]), for tests and evaluation.</summary>
    public float[] ForwardLogits(float[] parameters, float[] transposed, PackedBatch batch)
    {
        int rows = CheckRows(batch);
        Forward(parameters, transposed, batch);
        var logits = new float[rows * _vocab];
        var output = _layout.Output;
        Gemm.MatMul(_hO, transposed.AsSpan(output.Offset, output.Length), logits, rows, _d, _vocab, accumulate: false);
        return logits;
    }

    /// <summary>Writes into <paramref name="transposed"/> a copy of <paramref name="parameters"/> with every matrix stored [in × out].</summary>
    public static void TransposeMatrices(ParameterLayout layout, ReadOnlySpan<float> parameters, Span<float> transposed, int? onlyTensor = null)
    {
        for (int i = 0; i < layout.Tensors.Count; i++)
        {
            if (onlyTensor is int only && only != i)
            {
                continue;
            }
            var slot = layout.Tensors[i];
            var source = parameters.Slice(slot.Offset, slot.Length);
            var destination = transposed.Slice(slot.Offset, slot.Length);
            if (slot.IsMatrix)
            {
                Gemm.Transpose(source, slot.Rows, slot.Columns, destination);
            }
            else
            {
                source.CopyTo(destination);
            }
        }
    }

    private int CheckRows(PackedBatch batch)
    {
        int rows = batch.Rows;
        if (rows > _maxRows)
        {
            throw new ArgumentException($"batch of {rows} rows exceeds the workspace of {_maxRows}");
        }
        foreach (var (_, length) in batch.Segments)
        {
            if (length > _config.ContextLength)
            {
                throw new ArgumentException($"a sequence of {length} tokens exceeds the context length {_config.ContextLength}");
            }
        }
        return rows;
    }

    private void Forward(float[] parameters, float[] transposed, PackedBatch batch)
    {
        int rows = batch.Rows, d = _d;
        float eps = _config.RmsNormEpsilon;
        var embedding = parameters.AsSpan(_layout.Embedding.Offset, _layout.Embedding.Length);
        for (int t = 0; t < rows; t++)
        {
            embedding.Slice(batch.Tokens[t] * d, d).CopyTo(_xIn[0].AsSpan(t * d, d));
        }
        for (int l = 0; l < _config.BlockCount; l++)
        {
            var s = _layout.Layers[l];
            RmsNormOp.Forward(_xIn[l], Slot(parameters, s.AttentionNorm), _hA[l], _rstdA[l], rows, d, eps);
            Gemm.MatMul(_hA[l], Slot(transposed, s.Query), _q[l], rows, d, _qw, accumulate: false);
            Gemm.MatMul(_hA[l], Slot(transposed, s.Key), _k[l], rows, d, _kvw, accumulate: false);
            Gemm.MatMul(_hA[l], Slot(transposed, s.Value), _v[l], rows, d, _kvw, accumulate: false);
            _rope.Apply(_q[l].AsSpan(0, rows * _qw), batch.Positions, _config.HeadCount, inverse: false);
            _rope.Apply(_k[l].AsSpan(0, rows * _kvw), batch.Positions, _config.KvHeadCount, inverse: false);
            int pOffset = 0;
            foreach (var (start, length) in batch.Segments)
            {
                int pLength = _attention.ProbabilityLength(length);
                _attention.Forward(_q[l], _k[l], _v[l], _att[l], _probabilities[l].AsSpan(pOffset, pLength), start, length);
                pOffset += pLength;
            }
            _xIn[l].AsSpan(0, rows * d).CopyTo(_xMid[l]);
            Gemm.MatMul(_att[l], Slot(transposed, s.AttentionOutput), _xMid[l], rows, _qw, d, accumulate: true);

            RmsNormOp.Forward(_xMid[l], Slot(parameters, s.FeedForwardNorm), _hF[l], _rstdF[l], rows, d, eps);
            Gemm.MatMul(_hF[l], Slot(transposed, s.Gate), _gate[l], rows, d, _f, accumulate: false);
            Gemm.MatMul(_hF[l], Slot(transposed, s.Up), _up[l], rows, d, _f, accumulate: false);
            SwiGluOp.Forward(_gate[l].AsSpan(0, rows * _f), _up[l].AsSpan(0, rows * _f), _act[l].AsSpan(0, rows * _f));
            var next = l + 1 < _config.BlockCount ? _xIn[l + 1] : _xOut;
            _xMid[l].AsSpan(0, rows * d).CopyTo(next);
            Gemm.MatMul(_act[l], Slot(transposed, s.Down), next, rows, _f, d, accumulate: true);
        }
        RmsNormOp.Forward(_xOut, Slot(parameters, _layout.OutputNorm), _hO, _rstdO, rows, d, eps);
    }

    private void Backward(float[] parameters, PackedBatch batch, float[] gradients, int rows, int scored)
    {
        int d = _d;
        var output = _layout.Output;
        // Output head: dW += dLogitsᵀ·h, dh = dLogits·W.
        Gemm.Transpose(_dLogits, scored, _vocab, _transposed);
        Gemm.MatMul(_transposed, _hScored, Slot(gradients, output), _vocab, scored, d, accumulate: true);
        Gemm.MatMul(_dLogits, Slot(parameters, output), _dhScored, scored, _vocab, d, accumulate: false);
        var dhO = _dh.AsSpan(0, rows * d);
        dhO.Clear();
        for (int s = 0; s < scored; s++)
        {
            _dhScored.AsSpan(s * d, d).CopyTo(dhO.Slice(batch.ScoredRows[s] * d, d));
        }
        var dx = _dx.AsSpan(0, rows * d);
        dx.Clear();
        RmsNormOp.Backward(_xOut, Slot(parameters, _layout.OutputNorm), _rstdO, dhO, dx, Slot(gradients, _layout.OutputNorm), rows, d);

        for (int l = _config.BlockCount - 1; l >= 0; l--)
        {
            var s = _layout.Layers[l];
            // x_next = xMid + act·Wdᵀ
            LinearBackward(_dx, _act[l], parameters, gradients, s.Down, _dAct, rows, accumulateInput: false);
            SwiGluOp.Backward(_gate[l].AsSpan(0, rows * _f), _up[l].AsSpan(0, rows * _f), _dAct.AsSpan(0, rows * _f), _dGate, _dUp);
            LinearBackward(_dGate, _hF[l], parameters, gradients, s.Gate, _dh, rows, accumulateInput: false);
            LinearBackward(_dUp, _hF[l], parameters, gradients, s.Up, _dh, rows, accumulateInput: true);
            RmsNormOp.Backward(_xMid[l], Slot(parameters, s.FeedForwardNorm), _rstdF[l], _dh, _dx, Slot(gradients, s.FeedForwardNorm), rows, d);

            // xMid = xIn + att·Woᵀ
            LinearBackward(_dx, _att[l], parameters, gradients, s.AttentionOutput, _dAtt, rows, accumulateInput: false);
            int pOffset = 0;
            foreach (var (start, length) in batch.Segments)
            {
                int pLength = _attention.ProbabilityLength(length);
                _attention.Backward(_q[l], _k[l], _v[l], _probabilities[l].AsSpan(pOffset, pLength), _dAtt, _dq, _dk, _dv, start, length);
                pOffset += pLength;
            }
            _rope.Apply(_dq.AsSpan(0, rows * _qw), batch.Positions, _config.HeadCount, inverse: true);
            _rope.Apply(_dk.AsSpan(0, rows * _kvw), batch.Positions, _config.KvHeadCount, inverse: true);
            LinearBackward(_dq, _hA[l], parameters, gradients, s.Query, _dh, rows, accumulateInput: false);
            LinearBackward(_dk, _hA[l], parameters, gradients, s.Key, _dh, rows, accumulateInput: true);
            LinearBackward(_dv, _hA[l], parameters, gradients, s.Value, _dh, rows, accumulateInput: true);
            RmsNormOp.Backward(_xIn[l], Slot(parameters, s.AttentionNorm), _rstdA[l], _dh, _dx, Slot(gradients, s.AttentionNorm), rows, d);
        }
        var dEmbedding = Slot(gradients, _layout.Embedding);
        for (int t = 0; t < rows; t++)
        {
            VectorMath.Add(_dx.AsSpan(t * d, d), dEmbedding.Slice(batch.Tokens[t] * d, d));
        }
    }

    // y = x·Wᵀ with W [out × in]: dW += dyᵀ·x and dx (=, or += with accumulateInput) dy·W.
    private void LinearBackward(float[] dy, float[] x, float[] parameters, float[] gradients, TensorSlot weight, float[] dx, int rows, bool accumulateInput)
    {
        int outputs = weight.Rows, inputs = weight.Columns;
        Gemm.Transpose(dy.AsSpan(0, rows * outputs), rows, outputs, _transposed);
        Gemm.MatMul(_transposed, x, Slot(gradients, weight), outputs, rows, inputs, accumulate: true);
        Gemm.MatMul(dy, Slot(parameters, weight), dx, rows, outputs, inputs, accumulate: accumulateInput);
    }

    private static Span<float> Slot(float[] values, TensorSlot slot) => values.AsSpan(slot.Offset, slot.Length);

    private void GatherRows(float[] source, int[] rows, float[] destination)
    {
        for (int s = 0; s < rows.Length; s++)
        {
            source.AsSpan(rows[s] * _d, _d).CopyTo(destination.AsSpan(s * _d, _d));
        }
    }
}
