using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.SafeTensors;

/// <summary>The safetensors dtype names this reader knows, with their element sizes.</summary>
public static class SafeTensorsDTypes
{
    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>Bytes per element of <paramref name="dtype"/>, or null for a name this reader does not know.</summary>
    public static int? ElementSize(string dtype) => Sizes.TryGetValue(dtype, out int size) ? size : null;

    /// <summary>The runtime type of <paramref name="dtype"/>: F32, F16 and BF16 map as they are; anything else is null.</summary>
    public static TensorType? ToTensorType(string dtype) => dtype switch
    {
        "F32" => Kernels.Tensors.TensorType.F32,
        "F16" => Kernels.Tensors.TensorType.F16,
        "BF16" => Kernels.Tensors.TensorType.BF16,
        _ => null,
    };

    /// <summary>The safetensors name of a runtime float type.</summary>
    /// <exception cref="ArgumentException">The type is not F32, F16 or BF16.</exception>
    public static string FromTensorType(TensorType type) => type switch
    {
        Kernels.Tensors.TensorType.F32 => "F32",
        Kernels.Tensors.TensorType.F16 => "F16",
        Kernels.Tensors.TensorType.BF16 => "BF16",
        _ => throw new ArgumentException($"safetensors has no dtype for {TensorTypeInfo.Of(type).Name}"),
    };
}
