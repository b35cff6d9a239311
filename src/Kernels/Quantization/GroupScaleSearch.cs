using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Quantization;

/// <summary>
/// A better-than-rounding quantizer: for each group it tries a grid of scales around the
/// round-to-nearest one, refits the scale (and minimum) by weighted least squares for the levels
/// each trial gives, rounds them to fp16, and keeps whichever minimises the weighted squared
/// error Σ wᵢ (xᵢ − x̂ᵢ)². The weights are per-column activation importance (E[aⱼ²] from a
/// calibration run, as llama.cpp's importance matrix) or uniform. Round-to-nearest's own
/// encoding is always a candidate, so the result is never worse than it on that objective.
/// </summary>
public static class GroupScaleSearch
{
    private const int Steps = 10;

    /// <summary>Whether <paramref name="type"/> can be searched (Q8_0, Q4_0, Q4_1 and the group-scaled family).</summary>
    public static bool Supports(TensorType type) => GroupScaledLayout.ByteCompatible(type) is not null;

    /// <summary>Encodes one row of <paramref name="type"/>.</summary>
    /// <param name="type">Target type.</param>
    /// <param name="row">The weights of the row.</param>
    /// <param name="importance">Per-column weights (same length as the row), or empty for uniform.</param>
    /// <param name="destination">Exactly the encoded size of the row.</param>
    public static void Encode(TensorType type, ReadOnlySpan<float> row, ReadOnlySpan<float> importance, Span<byte> destination)
    {
        var layout = GroupScaledLayout.ByteCompatible(type)
            ?? throw new NotSupportedException($"scale search does not support {TensorTypeInfo.Of(type).Name}");
        if (!importance.IsEmpty && importance.Length != row.Length)
        {
            throw new ArgumentException($"importance has {importance.Length} columns, the row {row.Length}");
        }
        int g = layout.GroupSize;
        if (row.Length % g != 0 || destination.Length != row.Length / g * layout.GroupBytes)
        {
            throw new ArgumentException($"a row of {row.Length} does not fill {destination.Length} bytes of {layout.Name} groups");
        }
        // Round-to-nearest first: it is the baseline every group must beat.
        RowEncoder.Encode(type, row, destination);
        Span<float> weights = stackalloc float[g];
        Span<float> decoded = stackalloc float[g];
        Span<int> levels = stackalloc int[g];
        Span<int> trial = stackalloc int[g];
        for (int start = 0, offset = 0; start < row.Length; start += g, offset += layout.GroupBytes)
        {
            var x = row.Slice(start, g);
            FillWeights(importance.IsEmpty ? default : importance.Slice(start, g), weights);
            var group = destination.Slice(offset, layout.GroupBytes);
            GroupScaledBlock.Dequantize(layout, group, decoded);
            double best = Error(x, weights, decoded);
            var (scale, minimum) = layout.Asymmetric
                ? SearchAsymmetric(layout, x, weights, levels, trial, ref best)
                : SearchSymmetric(layout, x, weights, levels, trial, ref best);
            if (scale is { } s)
            {
                GroupScaledBlock.Write(layout, s, minimum, levels, group);
            }
        }
    }

    private static void FillWeights(ReadOnlySpan<float> importance, Span<float> weights)
    {
        double total = 0;
        foreach (float w in importance)
        {
            total += w;
        }
        if (importance.IsEmpty || !(total > 0))
        {
            weights.Fill(1f);
            return;
        }
        // A floor keeps columns the calibration never exercised from being ignored entirely.
        float floor = (float)(1e-3 * total / importance.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = Math.Max(importance[i], 0f) + floor;
        }
    }

    /// <summary>Tries scales that put the largest-magnitude weight near either end of the level range.</summary>
    private static (Half? Scale, Half Minimum) SearchSymmetric(GroupScaledLayout layout, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<int> levels, Span<int> trial, ref double best)
    {
        var (lo, hi) = GroupScaledBlock.LevelRange(layout);
        float extreme = 0;
        foreach (float v in x)
        {
            if (Math.Abs(v) > Math.Abs(extreme))
            {
                extreme = v;
            }
        }
        if (extreme == 0)
        {
            return (null, Half.Zero);
        }
        Half? chosen = null;
        for (int side = 0; side < 2; side++)
        {
            int end = side == 0 ? hi : lo;
            for (int k = -Steps; k <= Steps; k++)
            {
                float target = end + (end > 0 ? 0.1f : -0.1f) * k;
                if (Math.Abs(target) < 0.5f)
                {
                    continue;
                }
                float scale = extreme / target;
                for (int refit = 0; refit < 2; refit++)
                {
                    GroupScaledBlock.Levels(x, scale, 0, lo, hi, trial);
                    double sxs = 0, sss = 0;
                    for (int i = 0; i < x.Length; i++)
                    {
                        sxs += (double)w[i] * x[i] * trial[i];
                        sss += (double)w[i] * trial[i] * trial[i];
                    }
                    if (sss <= 0)
                    {
                        break;
                    }
                    scale = (float)(sxs / sss);
                }
                var stored = (Half)scale;
                if (!Half.IsFinite(stored) || stored == Half.Zero)
                {
                    continue;
                }
                GroupScaledBlock.Levels(x, (float)stored, 0, lo, hi, trial);
                double error = ErrorOf(x, w, trial, (float)stored, 0);
                if (error < best)
                {
                    best = error;
                    chosen = stored;
                    trial.CopyTo(levels);
                }
            }
        }
        return (chosen, Half.Zero);
    }

    /// <summary>Tries step counts around (max − min) / levels and refits scale and minimum by least squares.</summary>
    private static (Half? Scale, Half Minimum) SearchAsymmetric(GroupScaledLayout layout, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<int> levels, Span<int> trial, ref double best)
    {
        var (lo, hi) = GroupScaledBlock.LevelRange(layout);
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in x)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (max == min)
        {
            return (null, Half.Zero);
        }
        Half? chosenScale = null;
        Half chosenMinimum = Half.Zero;
        for (int k = -Steps; k <= Steps; k++)
        {
            float scale = (max - min) / (hi + 0.1f * k), offset = min;
            for (int refit = 0; refit < 3; refit++)
            {
                GroupScaledBlock.Levels(x, scale, offset, lo, hi, trial);
                double sw = 0, sq = 0, sqq = 0, sx = 0, sxq = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    double wi = w[i], q = trial[i];
                    sw += wi;
                    sq += wi * q;
                    sqq += wi * q * q;
                    sx += wi * x[i];
                    sxq += wi * x[i] * q;
                }
                double determinant = sw * sqq - sq * sq;
                if (determinant <= 1e-12 * sw * sqq)
                {
                    break;
                }
                scale = (float)((sw * sxq - sq * sx) / determinant);
                offset = (float)((sqq * sx - sq * sxq) / determinant);
                if (!(scale > 0))
                {
                    break;
                }
            }
            if (!(scale > 0))
            {
                continue;
            }
            Half storedScale = (Half)scale, storedOffset = (Half)offset;
            if (!Half.IsFinite(storedScale) || !Half.IsFinite(storedOffset) || storedScale == Half.Zero)
            {
                continue;
            }
            GroupScaledBlock.Levels(x, (float)storedScale, (float)storedOffset, lo, hi, trial);
            double error = ErrorOf(x, w, trial, (float)storedScale, (float)storedOffset);
            if (error < best)
            {
                best = error;
                chosenScale = storedScale;
                chosenMinimum = storedOffset;
                trial.CopyTo(levels);
            }
        }
        return (chosenScale, chosenMinimum);
    }

    private static double ErrorOf(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<int> levels, float scale, float offset)
    {
        double error = 0;
        for (int i = 0; i < x.Length; i++)
        {
            // The decoder computes d * level + m in float32; measure exactly what it will produce.
            double diff = x[i] - (scale * levels[i] + offset);
            error += w[i] * diff * diff;
        }
        return error;
    }

    private static double Error(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> decoded)
    {
        double error = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double diff = x[i] - decoded[i];
            error += w[i] * diff * diff;
        }
        return error;
    }
}
