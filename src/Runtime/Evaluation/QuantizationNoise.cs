using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Evaluation;

/// <summary>Per-tensor signal-to-quantization-noise ratio between two encodings of the same model.</summary>
public static class QuantizationNoise
{
    /// <summary>
    /// For each tensor (GGUF order; a tied head once), 10·log10(Σw² / Σ(w − ŵ)²) in dB, with w the
    /// original tensor decoded to float32 and ŵ the quantized one decoded, sums in float64. An
    /// unchanged tensor gives +∞; an all-zero original with error gives −∞.
    /// </summary>
    public static IReadOnlyList<TensorSqnr> Measure(TransformerWeights original, TransformerWeights quantized, int threads = 0, CancellationToken cancellationToken = default)
    {
        var before = original.Named().ToArray();
        var after = quantized.Named().ToArray();
        if (before.Length != after.Length)
        {
            throw new ArgumentException($"the models have {before.Length} and {after.Length} tensors");
        }
        var result = new TensorSqnr[before.Length];
        for (int t = 0; t < before.Length; t++)
        {
            var (name, a) = before[t];
            var (otherName, b) = after[t];
            if (name != otherName || a.Rows != b.Rows || a.Columns != b.Columns)
            {
                throw new ArgumentException($"tensor {t} is {name} {a.Rows}x{a.Columns} in one model and {otherName} {b.Rows}x{b.Columns} in the other");
            }
            result[t] = new TensorSqnr(name, a.Type, b.Type, (long)a.Rows * a.Columns, Sqnr(a, b, threads, cancellationToken));
        }
        return result;
    }

    /// <summary>10·log10(Σw² / Σ(w − ŵ)²) of one tensor pair, dB.</summary>
    public static double Sqnr(HostTensor original, HostTensor quantized, int threads = 0, CancellationToken cancellationToken = default)
    {
        if (ReferenceEquals(original, quantized) || (original.Type == quantized.Type && original.Data.Span.SequenceEqual(quantized.Data.Span)))
        {
            return double.PositiveInfinity;
        }
        // Per-row sums, added in row order afterwards: the result does not depend on the thread count.
        var signals = new double[original.Rows];
        var noises = new double[original.Rows];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, original.Rows, parallel,
            () => (new float[original.Columns], new float[original.Columns]),
            (r, _, buffers) =>
            {
                var (w, q) = buffers;
                RowDecoder.Decode(original.Type, original.Row(r), w);
                RowDecoder.Decode(quantized.Type, quantized.Row(r), q);
                double s = 0, n = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    double x = w[i], d = x - q[i];
                    s += x * x;
                    n += d * d;
                }
                signals[r] = s;
                noises[r] = n;
                return buffers;
            },
            _ => { });
        double signal = signals.Sum(), noise = noises.Sum();
        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }
}
