using QuantRuntime.Models;
using QuantRuntime.Training.Model;

namespace QuantRuntime.Training.Tests.Reference;

/// <summary>
/// A plain float64 implementation of the same Llama forward pass and loss, written from the
/// definitions with scalar loops and no shared code with the trainer, so central finite
/// differences of it are an independent check of the trainer's hand-written gradients.
/// </summary>
internal static class Float64Model
{
    public static double[] RmsNorm(double[] x, double[] gain, int rows, int dim, double eps)
    {
        var y = new double[rows * dim];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += x[r * dim + i] * x[r * dim + i];
            double inv = 1 / Math.Sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * gain[i];
        }
        return y;
    }

    /// <summary>y = x·Wᵀ, W [out × in].</summary>
    public static double[] Linear(double[] x, double[] w, int rows, int inputs, int outputs)
    {
        var y = new double[rows * outputs];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outputs; o++)
            {
                double s = 0;
                for (int i = 0; i < inputs; i++) s += x[r * inputs + i] * w[o * inputs + i];
                y[r * outputs + o] = s;
            }
        return y;
    }

    public static double[] Rope(double[] x, int rows, int heads, int headDim, int[] positions, double theta)
    {
        var y = (double[])x.Clone();
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < headDim / 2; i++)
                {
                    double angle = positions[r] * Math.Pow(theta, -2.0 * i / headDim);
                    int a = (r * heads + h) * headDim + 2 * i;
                    double x0 = x[a], x1 = x[a + 1];
                    y[a] = x0 * Math.Cos(angle) - x1 * Math.Sin(angle);
                    y[a + 1] = x0 * Math.Sin(angle) + x1 * Math.Cos(angle);
                }
        return y;
    }

    /// <summary>Causal attention of one sequence of <paramref name="rows"/> tokens.</summary>
    public static double[] Attention(double[] q, double[] k, double[] v, int rows, int heads, int kvHeads, int headDim)
    {
        int group = heads / kvHeads, qw = heads * headDim, kvw = kvHeads * headDim;
        var o = new double[rows * qw];
        var scores = new double[rows];
        for (int h = 0; h < heads; h++)
        {
            int kvh = h / group;
            for (int i = 0; i < rows; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j <= i; j++)
                {
                    double s = 0;
                    for (int d = 0; d < headDim; d++) s += q[i * qw + h * headDim + d] * k[j * kvw + kvh * headDim + d];
                    scores[j] = s / Math.Sqrt(headDim);
                    max = Math.Max(max, scores[j]);
                }
                double total = 0;
                for (int j = 0; j <= i; j++) { scores[j] = Math.Exp(scores[j] - max); total += scores[j]; }
                for (int d = 0; d < headDim; d++)
                {
                    double s = 0;
                    for (int j = 0; j <= i; j++) s += scores[j] / total * v[j * kvw + kvh * headDim + d];
                    o[i * qw + h * headDim + d] = s;
                }
            }
        }
        return o;
    }

    public static double[] SwiGlu(double[] gate, double[] up)
    {
        var y = new double[gate.Length];
        for (int i = 0; i < y.Length; i++) y[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
        return y;
    }

    public static double CrossEntropy(double[] logits, int offset, int vocab, int target)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < vocab; i++) max = Math.Max(max, logits[offset + i]);
        double total = 0;
        for (int i = 0; i < vocab; i++) total += Math.Exp(logits[offset + i] - max);
        return Math.Log(total) + max - logits[offset + target];
    }

    /// <summary>Logits of one sequence ([rows × vocabulary]).</summary>
    public static double[] Logits(ParameterLayout layout, double[] p, int[] tokens)
    {
        var c = layout.Config;
        int rows = tokens.Length, dim = c.EmbeddingLength;
        double[] T(TensorSlot s) => p.AsSpan(s.Offset, s.Length).ToArray();
        var positions = Enumerable.Range(0, rows).ToArray();
        var x = new double[rows * dim];
        var embedding = T(layout.Embedding);
        for (int r = 0; r < rows; r++) Array.Copy(embedding, tokens[r] * dim, x, r * dim, dim);
        foreach (var l in layout.Layers)
        {
            var h = RmsNorm(x, T(l.AttentionNorm), rows, dim, c.RmsNormEpsilon);
            var q = Rope(Linear(h, T(l.Query), rows, dim, c.QueryWidth), rows, c.HeadCount, c.HeadDim, positions, c.RopeTheta);
            var k = Rope(Linear(h, T(l.Key), rows, dim, c.KvWidth), rows, c.KvHeadCount, c.HeadDim, positions, c.RopeTheta);
            var v = Linear(h, T(l.Value), rows, dim, c.KvWidth);
            var att = Attention(q, k, v, rows, c.HeadCount, c.KvHeadCount, c.HeadDim);
            var o = Linear(att, T(l.AttentionOutput), rows, c.QueryWidth, dim);
            for (int i = 0; i < x.Length; i++) x[i] += o[i];
            var h2 = RmsNorm(x, T(l.FeedForwardNorm), rows, dim, c.RmsNormEpsilon);
            var a = SwiGlu(Linear(h2, T(l.Gate), rows, dim, c.FeedForwardLength), Linear(h2, T(l.Up), rows, dim, c.FeedForwardLength));
            var down = Linear(a, T(l.Down), rows, c.FeedForwardLength, dim);
            for (int i = 0; i < x.Length; i++) x[i] += down[i];
        }
        var hf = RmsNorm(x, T(layout.OutputNorm), rows, dim, c.RmsNormEpsilon);
        return Linear(hf, T(layout.Output), rows, dim, c.VocabularySize);
    }

    /// <summary>Σ over sequences and scored rows of the cross-entropy, times <paramref name="scale"/>.</summary>
    public static double Loss(ParameterLayout layout, double[] p, PackedBatch batch, double scale)
    {
        int vocab = layout.Config.VocabularySize;
        double loss = 0;
        foreach (var (start, length) in batch.Segments)
        {
            var logits = Logits(layout, p, batch.Tokens.AsSpan(start, length).ToArray());
            for (int r = 0; r < length; r++)
            {
                int target = batch.Targets[start + r];
                if (target >= 0)
                {
                    loss += CrossEntropy(logits, r * vocab, vocab, target);
                }
            }
        }
        return loss * scale;
    }

    /// <summary>A small configuration whose sizes exercise the SIMD tails (widths not multiples of the vector length).</summary>
    public static TransformerConfig TinyConfig(int vocabulary = 13, bool tied = false) => new(
        "llama", EmbeddingLength: 20, FeedForwardLength: 36, BlockCount: 2, HeadCount: 4, KvHeadCount: 2, HeadDim: 6,
        VocabularySize: vocabulary, ContextLength: 32, RmsNormEpsilon: 1e-5f, RopeTheta: 10000f,
        RopeStyle: QuantRuntime.Kernels.Backends.RopeStyle.AdjacentPairs, TiedEmbeddings: tied, HasQkvBias: false);
}
