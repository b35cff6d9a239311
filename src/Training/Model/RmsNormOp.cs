using QuantRuntime.Training.Compute;

namespace QuantRuntime.Training.Model;

/// <summary>RMSNorm, y = g ⊙ x / sqrt(mean(x²) + ε), row by row, and its gradient.</summary>
internal static class RmsNormOp
{
    /// <summary>Normalises each row of <paramref name="x"/> into <paramref name="y"/>, keeping 1/rms per row in <paramref name="inverseRms"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gain, Span<float> y, Span<float> inverseRms, int rows, int dim, float epsilon)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * dim, dim);
            float r1 = 1f / MathF.Sqrt(VectorMath.Dot(row, row) / dim + epsilon);
            inverseRms[r] = r1;
            var output = y.Slice(r * dim, dim);
            for (int i = 0; i < dim; i++)
            {
                output[i] = row[i] * r1 * gain[i];
            }
        }
    }

    /// <summary>
    /// Adds the gradient of the input to <paramref name="dx"/> and of the gain to <paramref name="dGain"/>:
    /// dx = r·g⊙dy − x·r³·(Σ dy⊙g⊙x)/D, dg = Σ_rows dy⊙x·r.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gain, ReadOnlySpan<float> inverseRms, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dGain, int rows, int dim)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var dyr = dy.Slice(r * dim, dim);
            var dxr = dx.Slice(r * dim, dim);
            float r1 = inverseRms[r];
            float dot = 0;
            for (int i = 0; i < dim; i++)
            {
                float gdy = dyr[i] * gain[i];
                dot += gdy * xr[i];
                dGain[i] += dyr[i] * xr[i] * r1;
            }
            float coefficient = dot * r1 * r1 * r1 / dim;
            for (int i = 0; i < dim; i++)
            {
                dxr[i] += r1 * dyr[i] * gain[i] - xr[i] * coefficient;
            }
        }
    }
}
