using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Quantization;

/// <summary>
/// A named target encoding for a model's matrices: ggml's <c>q8_0</c>, <c>q4_0</c>, <c>q4_1</c>,
/// or the group-scaled family <c>int8-gN</c>, <c>int8-gN-asym</c>, <c>int4-gN</c>, <c>int4-gN-asym</c>
/// (N = 32, 64, 128, 256), or unquantized <c>f16</c>/<c>f32</c>.
/// </summary>
/// <param name="Name">The scheme name as written on the command line.</param>
/// <param name="Type">The tensor type matrices are stored as.</param>
public sealed record QuantizationScheme(string Name, TensorType Type)
{
    /// <summary>Names accepted by <see cref="Parse"/>, for help and error messages.</summary>
    public const string Known = "q8_0, q4_0, q4_1, int8-gN, int8-gN-asym, int4-gN, int4-gN-asym (N = 32, 64, 128, 256), f16, f32";

    /// <summary>Parses a scheme name.</summary>
    /// <exception cref="ArgumentException">Unknown scheme or unsupported group size.</exception>
    public static QuantizationScheme Parse(string name)
    {
        string key = name.Trim().ToLowerInvariant();
        switch (key)
        {
            case "q8_0": return new(key, TensorType.Q8_0);
            case "q4_0": return new(key, TensorType.Q4_0);
            case "q4_1": return new(key, TensorType.Q4_1);
            case "f16": return new(key, TensorType.F16);
            case "f32": return new(key, TensorType.F32);
        }
        var match = System.Text.RegularExpressions.Regex.Match(key, @"^int(4|8)-g(\d+)(-asym)?$");
        if (!match.Success)
        {
            throw new ArgumentException($"unknown scheme '{name}' (known: {Known})");
        }
        int group = int.TryParse(match.Groups[2].Value, out int g) ? g : -1;
        if (group is not (32 or 64 or 128 or 256))
        {
            throw new ArgumentException($"scheme '{name}': group size {match.Groups[2].Value} is not one of 32, 64, 128, 256");
        }
        return new(key, GroupScaledLayout.TypeFor(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), group, match.Groups[3].Success));
    }

    /// <summary>Storage bits per weight of the target type (scales included).</summary>
    public double BitsPerWeight => TensorTypeInfo.Of(Type).BitsPerWeight;

    /// <inheritdoc />
    public override string ToString() => Name;
}
