using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Quantization;

/// <summary>
/// Decides each tensor's target type (docs/FORMATS.md, "Tensor policy"): vectors stay F32; the
/// output head follows <see cref="OutputHeadPrecision"/>; a matrix whose rows are not a multiple
/// of the scheme's group falls back to the same family's largest group that divides them, and
/// to F16 when no block size fits (stories260K's 172-wide ffn_down rows).
/// </summary>
public static class TensorTypePolicy
{
    /// <summary>The target type of a tensor, and the reason when it is not the scheme's type.</summary>
    public static (TensorType Type, string? Note) Choose(HostTensor tensor, bool isOutputHead, QuantizationOptions options)
    {
        if (tensor.Rows == 1)
        {
            return (TensorType.F32, "vector: kept in F32");
        }
        var wanted = options.Scheme.Type;
        string? note = null;
        if (isOutputHead && options.OutputHead != OutputHeadPrecision.Same)
        {
            wanted = options.OutputHead == OutputHeadPrecision.F16 ? TensorType.F16 : TensorType.Q8_0;
            note = $"output head: {TensorTypeInfo.Of(wanted).Name}";
        }
        var info = TensorTypeInfo.Of(wanted);
        if (tensor.Columns % info.BlockSize == 0)
        {
            return (wanted, note);
        }
        if (GroupScaledLayout.TryGet(wanted, out var layout))
        {
            for (int group = layout.GroupSize / 2; group >= 32; group /= 2)
            {
                if (tensor.Columns % group == 0)
                {
                    return (GroupScaledLayout.TypeFor(layout.Bits, group, layout.Asymmetric),
                        $"rows of {tensor.Columns} are not a multiple of {layout.GroupSize}: group {group}");
                }
            }
        }
        return (TensorType.F16, $"rows of {tensor.Columns} are not a multiple of {info.BlockSize}: F16");
    }
}
