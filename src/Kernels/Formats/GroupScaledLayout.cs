using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Formats;

/// <summary>
/// Geometry of one of QuantRuntime's group-scaled types. A group of <see cref="GroupSize"/>
/// consecutive weights of a row is stored as an fp16 scale d, an fp16 minimum m when
/// <see cref="Asymmetric"/>, then the integer levels:
/// <list type="bullet">
/// <item>INT8 symmetric: int8 s, weight = d·s.</item>
/// <item>INT8 asymmetric: uint8 q, weight = d·q + m.</item>
/// <item>INT4 symmetric: nibbles q, weight = d·(q − 8).</item>
/// <item>INT4 asymmetric: nibbles q, weight = d·q + m.</item>
/// </list>
/// INT4 nibbles are packed per 32 weights exactly as in ggml's Q4_0: byte j of a 16-byte run
/// holds weight j in its low nibble and weight j + 16 in its high nibble, so SIMD kernels
/// unpack these groups with the Q4_0 code path.
/// </summary>
/// <param name="Type">The tensor type described.</param>
/// <param name="Bits">4 or 8.</param>
/// <param name="GroupSize">32, 64, 128 or 256.</param>
/// <param name="Asymmetric">Whether a minimum is stored beside the scale.</param>
public sealed record GroupScaledLayout(TensorType Type, int Bits, int GroupSize, bool Asymmetric)
{
    private static readonly int[] GroupSizes = [32, 64, 128, 256];

    /// <summary>Every layout of the family.</summary>
    public static IReadOnlyList<GroupScaledLayout> All { get; } = Build();

    /// <summary>Bytes of scale (and minimum) at the start of a group.</summary>
    public int HeaderBytes => Asymmetric ? 4 : 2;

    /// <summary>Bytes per group.</summary>
    public int GroupBytes => HeaderBytes + GroupSize * Bits / 8;

    /// <summary>The scheme name, e.g. <c>int4-g128-asym</c>.</summary>
    public string Name => $"int{Bits}-g{GroupSize}{(Asymmetric ? "-asym" : "")}";

    /// <summary>The layout of <paramref name="type"/>, if it belongs to the family.</summary>
    public static bool TryGet(TensorType type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GroupScaledLayout? layout)
    {
        int index = (int)type - (int)TensorType.Int8G32;
        layout = index >= 0 && index < All.Count ? All[index] : null;
        return layout is not null;
    }

    /// <summary>
    /// The layout whose bytes are identical to a ggml block type (Q8_0 = INT8 g32, Q4_0 = INT4 g32,
    /// Q4_1 = INT4 g32 asymmetric), so one encoder serves both; null for other types.
    /// </summary>
    public static GroupScaledLayout? ByteCompatible(TensorType type) => type switch
    {
        TensorType.Q8_0 => All[0],
        TensorType.Q4_0 => All[8],
        TensorType.Q4_1 => All[12],
        _ => TryGet(type, out var layout) ? layout : null,
    };

    /// <summary>The type for a bit width, group size and symmetry.</summary>
    /// <exception cref="ArgumentException">No such member of the family.</exception>
    public static TensorType TypeFor(int bits, int groupSize, bool asymmetric) =>
        All.FirstOrDefault(l => l.Bits == bits && l.GroupSize == groupSize && l.Asymmetric == asymmetric)?.Type
        ?? throw new ArgumentException($"no group-scaled type int{bits}-g{groupSize}{(asymmetric ? "-asym" : "")} (bits 4 or 8, groups 32, 64, 128, 256)");

    private static List<GroupScaledLayout> Build()
    {
        // Id order: INT8 sym, INT8 asym, INT4 sym, INT4 asym; each over the four group sizes.
        var all = new List<GroupScaledLayout>();
        int id = (int)TensorType.Int8G32;
        foreach (int bits in new[] { 8, 4 })
        {
            foreach (bool asymmetric in new[] { false, true })
            {
                foreach (int group in GroupSizes)
                {
                    all.Add(new GroupScaledLayout((TensorType)id++, bits, group, asymmetric));
                }
            }
        }
        return all;
    }
}
