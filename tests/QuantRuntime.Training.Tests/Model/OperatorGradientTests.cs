using QuantRuntime.Training.Compute;
using QuantRuntime.Training.Model;
using QuantRuntime.Training.Tests.Reference;
using static QuantRuntime.Training.Tests.Reference.FiniteDifference;

namespace QuantRuntime.Training.Tests.Model;

/// <summary>
/// Each operator's hand-written backward pass against central finite differences of an independent
/// float64 implementation, with the loss L = Σ r ⊙ y for a random upstream gradient r.
/// </summary>
public sealed class OperatorGradientTests
{
    [Fact]
    public void RmsNormGradientsMatchFiniteDifferences()
    {
        const int rows = 3, dim = 21;
        var x = Normal(rows * dim, 1, 2);
        var gain = Normal(dim, 2, 0.3).Select(v => 1 + v).ToArray();
        var r = Normal(rows * dim, 3);
        var y = new float[rows * dim];
        var inverseRms = new float[rows];
        RmsNormOp.Forward(x, gain, y, inverseRms, rows, dim, 1e-5f);
        var dx = new float[rows * dim];
        var dGain = new float[dim];
        RmsNormOp.Backward(x, gain, inverseRms, r, dx, dGain, rows, dim);

        var x64 = ToDouble(x);
        var g64 = ToDouble(gain);
        double Loss() => WeightedSum(Float64Model.RmsNorm(x64, g64, rows, dim, 1e-5), r);
        AssertClose(ToDouble(dx), [.. Enumerable.Range(0, x64.Length).Select(i => Derivative(_ => Loss(), x64, i))], "dx");
        AssertClose(ToDouble(dGain), [.. Enumerable.Range(0, g64.Length).Select(i => Derivative(_ => Loss(), g64, i))], "dgain");
        // The forward pass agrees with the float64 definition too.
        var y64 = Float64Model.RmsNorm(x64, g64, rows, dim, 1e-5);
        Assert.All(Enumerable.Range(0, y.Length), i => Assert.Equal(y64[i], y[i], 1e-5));
    }

    [Fact]
    public void RopeGradientIsTheInverseRotation()
    {
        const int rows = 5, heads = 3, headDim = 8;
        int[] positions = [0, 1, 2, 7, 30];
        var table = new RopeTable(32, headDim, 10000f);
        var x = Normal(rows * heads * headDim, 4);
        var r = Normal(x.Length, 5);
        var y = (float[])x.Clone();
        table.Apply(y, positions, heads, inverse: false);
        var dx = (float[])r.Clone();
        table.Apply(dx, positions, heads, inverse: true);

        var x64 = ToDouble(x);
        var y64 = Float64Model.Rope(x64, rows, heads, headDim, positions, 10000);
        Assert.All(Enumerable.Range(0, y.Length), i => Assert.Equal(y64[i], y[i], 1e-5));
        double Loss(double[] v) => WeightedSum(Float64Model.Rope(v, rows, heads, headDim, positions, 10000), r);
        AssertClose(ToDouble(dx), [.. Enumerable.Range(0, x64.Length).Select(i => Derivative(Loss, x64, i))], "dx");
    }

    [Theory]
    [InlineData(4, 2, 6)]
    [InlineData(2, 2, 16)]
    [InlineData(3, 1, 5)]
    public void AttentionGradientsMatchFiniteDifferences(int heads, int kvHeads, int headDim)
    {
        // Two packed sequences: each must attend only to itself.
        (int Start, int Length)[] segments = [(0, 7), (7, 4)];
        const int rows = 11;
        int qw = heads * headDim, kvw = kvHeads * headDim;
        var q = Normal(rows * qw, 6);
        var k = Normal(rows * kvw, 7);
        var v = Normal(rows * kvw, 8);
        var r = Normal(rows * qw, 9);
        var op = new AttentionOp(heads, kvHeads, headDim, 8);
        var output = new float[rows * qw];
        var probabilities = new float[segments.Sum(s => op.ProbabilityLength(s.Length))];
        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        int offset = 0;
        foreach (var (start, length) in segments)
        {
            int n = op.ProbabilityLength(length);
            op.Forward(q, k, v, output, probabilities.AsSpan(offset, n), start, length);
            op.Backward(q, k, v, probabilities.AsSpan(offset, n), r, dq, dk, dv, start, length);
            offset += n;
        }

        var q64 = ToDouble(q);
        var k64 = ToDouble(k);
        var v64 = ToDouble(v);
        double[] Forward64()
        {
            var o = new double[rows * qw];
            foreach (var (start, length) in segments)
            {
                var part = Float64Model.Attention(q64[(start * qw)..((start + length) * qw)], k64[(start * kvw)..((start + length) * kvw)],
                    v64[(start * kvw)..((start + length) * kvw)], length, heads, kvHeads, headDim);
                Array.Copy(part, 0, o, start * qw, part.Length);
            }
            return o;
        }
        var o64 = Forward64();
        Assert.All(Enumerable.Range(0, output.Length), i => Assert.Equal(o64[i], output[i], 1e-5));
        double Loss(double[] _) => WeightedSum(Forward64(), r);
        AssertClose(ToDouble(dq), [.. Enumerable.Range(0, q64.Length).Select(i => Derivative(Loss, q64, i))], "dq");
        AssertClose(ToDouble(dk), [.. Enumerable.Range(0, k64.Length).Select(i => Derivative(Loss, k64, i))], "dk");
        AssertClose(ToDouble(dv), [.. Enumerable.Range(0, v64.Length).Select(i => Derivative(Loss, v64, i))], "dv");
    }

    [Fact]
    public void SwiGluGradientsMatchFiniteDifferences()
    {
        var gate = Normal(37, 10, 2);
        var up = Normal(37, 11);
        var r = Normal(37, 12);
        var y = new float[37];
        SwiGluOp.Forward(gate, up, y);
        var dGate = new float[37];
        var dUp = new float[37];
        SwiGluOp.Backward(gate, up, r, dGate, dUp);
        var g64 = ToDouble(gate);
        var u64 = ToDouble(up);
        double Loss(double[] _) => WeightedSum(Float64Model.SwiGlu(g64, u64), r);
        AssertClose(ToDouble(dGate), [.. Enumerable.Range(0, 37).Select(i => Derivative(Loss, g64, i))], "dgate");
        AssertClose(ToDouble(dUp), [.. Enumerable.Range(0, 37).Select(i => Derivative(Loss, u64, i))], "dup");
    }

    [Fact]
    public void CrossEntropyGradientMatchesFiniteDifferences()
    {
        var logits = Normal(29, 13, 3);
        var dLogits = new float[29];
        double loss = CrossEntropyOp.ForwardBackward(logits, 5, 0.25f, dLogits);
        var l64 = ToDouble(logits);
        Assert.Equal(Float64Model.CrossEntropy(l64, 0, 29, 5), loss, 1e-5);
        AssertClose(ToDouble(dLogits), [.. Enumerable.Range(0, 29).Select(i => Derivative(v => 0.25 * Float64Model.CrossEntropy(v, 0, 29, 5), l64, i))], "dlogits");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 20, 24)]
    [InlineData(7, 13, 53)]
    [InlineData(9, 128, 67)]
    [InlineData(33, 5, 8)]
    public void MatMulMatchesTheDefinition(int m, int k, int n)
    {
        var a = Normal(m * k, 14);
        var b = Normal(k * n, 15);
        var c = Normal(m * n, 16);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = c[i * n + j];
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                expected[i * n + j] = s;
            }
        Gemm.MatMul(a, b, c, m, k, n, accumulate: true);
        Assert.All(Enumerable.Range(0, m * n), i => Assert.Equal(expected[i], c[i], 1e-4));
        Gemm.MatMul(a, b, c, m, k, n, accumulate: false);
        Assert.All(Enumerable.Range(0, m * n), i => Assert.Equal(expected[i] - Normal(m * n, 16)[i], c[i], 1e-4));

        var t = new float[m * k];
        Gemm.Transpose(a, m, k, t);
        Assert.All(Enumerable.Range(0, m * k), i => Assert.Equal(a[i], t[i % k * m + i / k]));
    }
}
