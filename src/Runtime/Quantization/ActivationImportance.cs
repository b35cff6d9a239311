using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Quantization;

/// <summary>
/// Per-column importance of each weight matrix: the mean square of the activations that
/// multiply that column, E[aⱼ²], measured by running the model over calibration tokens. A
/// weight error ΔWᵢⱼ perturbs output i by ΔWᵢⱼ·aⱼ, so E[aⱼ²] weighs column j's squared error
/// (llama.cpp's importance matrix measures the same quantity).
/// </summary>
public sealed class ActivationImportance
{
    private readonly Dictionary<HostTensor, double[]> _sums = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<HostTensor, long> _rows = new(ReferenceEqualityComparer.Instance);

    /// <summary>Calibration tokens the statistics come from.</summary>
    public long Tokens { get; internal set; }

    /// <summary>Adds <paramref name="rows"/> activation rows (row-major, one per token) seen by <paramref name="tensor"/>.</summary>
    public void Add(HostTensor tensor, ReadOnlySpan<float> activations, int rows)
    {
        int columns = tensor.Columns;
        if (activations.Length != rows * columns)
        {
            throw new ArgumentException($"{activations.Length} activations are not {rows} rows of {columns}");
        }
        if (!_sums.TryGetValue(tensor, out var sums))
        {
            sums = new double[columns];
            _sums[tensor] = sums;
            _rows[tensor] = 0;
        }
        for (int r = 0; r < rows; r++)
        {
            var row = activations.Slice(r * columns, columns);
            for (int j = 0; j < columns; j++)
            {
                sums[j] += (double)row[j] * row[j];
            }
        }
        _rows[tensor] += rows;
    }

    /// <summary>E[aⱼ²] per column of <paramref name="tensor"/>, or null when the calibration never used it.</summary>
    public float[]? For(HostTensor tensor)
    {
        if (!_sums.TryGetValue(tensor, out var sums) || _rows[tensor] == 0)
        {
            return null;
        }
        long rows = _rows[tensor];
        return [.. sums.Select(s => (float)(s / rows))];
    }
}
