using QuantRuntime.Training.Compute;

namespace QuantRuntime.Training.Model;

/// <summary>
/// Causal grouped-query attention over packed sequences (each segment attends only to itself),
/// with its gradient. Per segment and head the scores, the weighted sum and every gradient are
/// matrix products (<see cref="Gemm"/>) over the segment's square; the masked half is exactly zero.
/// Holds its own scratch, so one instance serves one thread.
/// </summary>
internal sealed class AttentionOp
{
    private readonly int _heads, _kvHeads, _headDim;
    private readonly float _scale;
    private readonly float[] _q, _kT, _k, _v, _vT, _square, _squareT, _dO, _dQ, _dK, _dV;

    public AttentionOp(int heads, int kvHeads, int headDim, int maxSegment)
    {
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1f / MathF.Sqrt(headDim);
        int block = maxSegment * headDim;
        int square = maxSegment * maxSegment;
        _q = new float[block];
        _kT = new float[block];
        _k = new float[block];
        _v = new float[block];
        _vT = new float[block];
        _dO = new float[block];
        _dQ = new float[block];
        _dK = new float[block];
        _dV = new float[block];
        _square = new float[square];
        _squareT = new float[square];
    }

    /// <summary>Floats of the probabilities kept for a segment of <paramref name="length"/> tokens.</summary>
    public int ProbabilityLength(int length) => _heads * length * length;

    /// <summary>
    /// Attention of one segment: rows <paramref name="start"/>.. of <paramref name="q"/> (post-RoPE,
    /// [T × heads·d]), <paramref name="k"/>, <paramref name="v"/> ([T × kvHeads·d]) into <paramref name="output"/>;
    /// the softmax probabilities go to <paramref name="probabilities"/> (heads × L × L).
    /// </summary>
    public void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output, Span<float> probabilities, int start, int length)
    {
        int d = _headDim, L = length, group = _heads / _kvHeads;
        int qWidth = _heads * d, kvWidth = _kvHeads * d;
        for (int kvh = 0; kvh < _kvHeads; kvh++)
        {
            Gather(k, kvWidth, start, L, kvh * d, _k);
            Gemm.Transpose(_k, L, d, _kT);
            Gather(v, kvWidth, start, L, kvh * d, _v);
            for (int h = kvh * group; h < (kvh + 1) * group; h++)
            {
                Gather(q, qWidth, start, L, h * d, _q);
                var p = probabilities.Slice(h * L * L, L * L);
                Gemm.MatMul(_q, _kT, p, L, d, L, accumulate: false);
                for (int i = 0; i < L; i++)
                {
                    var row = p.Slice(i * L, L);
                    float max = float.NegativeInfinity;
                    for (int j = 0; j <= i; j++)
                    {
                        row[j] *= _scale;
                        max = MathF.Max(max, row[j]);
                    }
                    float total = 0;
                    for (int j = 0; j <= i; j++)
                    {
                        row[j] = MathF.Exp(row[j] - max);
                        total += row[j];
                    }
                    float inverse = 1f / total;
                    for (int j = 0; j <= i; j++)
                    {
                        row[j] *= inverse;
                    }
                    row[(i + 1)..].Clear();
                }
                Gemm.MatMul(p, _v, _dO, L, L, d, accumulate: false);
                Scatter(_dO, L, output, qWidth, start, h * d);
            }
        }
    }

    /// <summary>
    /// The gradient of one segment: from <paramref name="dOutput"/> writes the gradients of the
    /// post-RoPE query, key and value rows of the segment (overwriting them).
    /// </summary>
    public void Backward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> probabilities, ReadOnlySpan<float> dOutput,
        Span<float> dq, Span<float> dk, Span<float> dv, int start, int length)
    {
        int d = _headDim, L = length, group = _heads / _kvHeads;
        int qWidth = _heads * d, kvWidth = _kvHeads * d;
        var dS = _square.AsSpan(0, L * L);
        var transposed = _squareT.AsSpan(0, L * L);
        for (int kvh = 0; kvh < _kvHeads; kvh++)
        {
            Gather(k, kvWidth, start, L, kvh * d, _k);
            Gather(v, kvWidth, start, L, kvh * d, _v);
            Gemm.Transpose(_v, L, d, _vT);
            _dK.AsSpan(0, L * d).Clear();
            _dV.AsSpan(0, L * d).Clear();
            for (int h = kvh * group; h < (kvh + 1) * group; h++)
            {
                Gather(q, qWidth, start, L, h * d, _q);
                Gather(dOutput, qWidth, start, L, h * d, _dO);
                var p = probabilities.Slice(h * L * L, L * L);
                // dV += Pᵀ·dO
                Gemm.Transpose(p, L, L, transposed);
                Gemm.MatMul(transposed, _dO, _dV, L, L, d, accumulate: true);
                // dP = dO·Vᵀ; dS = P ⊙ (dP − Σ_j P·dP) · scale
                Gemm.MatMul(_dO, _vT, dS, L, d, L, accumulate: false);
                for (int i = 0; i < L; i++)
                {
                    var pRow = p.Slice(i * L, L);
                    var sRow = dS.Slice(i * L, L);
                    float dot = 0;
                    for (int j = 0; j <= i; j++)
                    {
                        dot += pRow[j] * sRow[j];
                    }
                    for (int j = 0; j <= i; j++)
                    {
                        sRow[j] = pRow[j] * (sRow[j] - dot) * _scale;
                    }
                    sRow[(i + 1)..].Clear();
                }
                // dQ = dS·K; dK += dSᵀ·Q
                Gemm.MatMul(dS, _k, _dQ, L, L, d, accumulate: false);
                Scatter(_dQ, L, dq, qWidth, start, h * d);
                Gemm.Transpose(dS, L, L, transposed);
                Gemm.MatMul(transposed, _q, _dK, L, L, d, accumulate: true);
            }
            Scatter(_dK, L, dk, kvWidth, start, kvh * d);
            Scatter(_dV, L, dv, kvWidth, start, kvh * d);
        }
    }

    // Rows start..start+L of columns column..column+d of a [T × width] buffer, packed [L × d].
    private void Gather(ReadOnlySpan<float> source, int width, int start, int length, int column, Span<float> destination)
    {
        int d = _headDim;
        for (int i = 0; i < length; i++)
        {
            source.Slice((start + i) * width + column, d).CopyTo(destination.Slice(i * d, d));
        }
    }

    private void Scatter(ReadOnlySpan<float> source, int length, Span<float> destination, int width, int start, int column)
    {
        int d = _headDim;
        for (int i = 0; i < length; i++)
        {
            source.Slice(i * d, d).CopyTo(destination.Slice((start + i) * width + column, d));
        }
    }
}
