namespace QuantRuntime.Kernels.Tensors;

/// <summary>Storage geometry of a <see cref="TensorType"/>: how many weights a block holds and its size in bytes.</summary>
/// <param name="Type">The type described.</param>
/// <param name="Name">The lower-case name llama.cpp uses (<c>q4_0</c>, <c>f16</c>).</param>
/// <param name="BlockSize">Weights per block (1 for plain floating-point types).</param>
/// <param name="BlockBytes">Bytes per block.</param>
public sealed record TensorTypeInfo(TensorType Type, string Name, int BlockSize, int BlockBytes)
{
    private static readonly Dictionary<TensorType, TensorTypeInfo> Known = new()
    {
        [TensorType.F32] = new(TensorType.F32, "f32", 1, 4),
        [TensorType.F16] = new(TensorType.F16, "f16", 1, 2),
        [TensorType.BF16] = new(TensorType.BF16, "bf16", 1, 2),
        [TensorType.Q8_0] = new(TensorType.Q8_0, "q8_0", 32, 34),
        [TensorType.Q4_0] = new(TensorType.Q4_0, "q4_0", 32, 18),
        [TensorType.Q4_1] = new(TensorType.Q4_1, "q4_1", 32, 20),
        [TensorType.Q4_K] = new(TensorType.Q4_K, "q4_k", 256, 144),
        [TensorType.Q5_K] = new(TensorType.Q5_K, "q5_k", 256, 176),
        [TensorType.Q6_K] = new(TensorType.Q6_K, "q6_k", 256, 210),
    };

    static TensorTypeInfo()
    {
        foreach (var layout in Formats.GroupScaledLayout.All)
        {
            Known[layout.Type] = new(layout.Type, layout.Name, layout.GroupSize, layout.GroupBytes);
        }
    }

    /// <summary>Bits of storage per weight, scales included.</summary>
    public double BitsPerWeight => BlockBytes * 8.0 / BlockSize;

    /// <summary>Whether <paramref name="type"/> is a type this library can store and compute with.</summary>
    public static bool IsKnown(TensorType type) => Known.ContainsKey(type);

    /// <summary>The geometry of <paramref name="type"/>.</summary>
    /// <exception cref="NotSupportedException">The type is not one this library implements.</exception>
    public static TensorTypeInfo Of(TensorType type) =>
        Known.TryGetValue(type, out var info)
            ? info
            : throw new NotSupportedException($"tensor type {(int)type} is not supported");

    /// <summary>Looks a type up by its llama.cpp name, ignoring case.</summary>
    public static bool TryParse(string name, out TensorType type)
    {
        foreach (var info in Known.Values)
        {
            if (string.Equals(info.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                type = info.Type;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>Bytes taken by <paramref name="elements"/> weights, which must be a whole number of blocks.</summary>
    /// <exception cref="ArgumentException">The count is not a multiple of the block size.</exception>
    /// <exception cref="OverflowException">The size does not fit in 64 bits.</exception>
    public long ByteCount(long elements)
    {
        if (elements < 0 || elements % BlockSize != 0)
        {
            throw new ArgumentException($"{elements} weights is not a whole number of {Name} blocks of {BlockSize}");
        }
        return checked(elements / BlockSize * BlockBytes);
    }
}
