namespace QuantRuntime.Formats.Gguf;

/// <summary>Names of ggml tensor type ids, so an unsupported type is reported by name.</summary>
internal static class GgufTypeNames
{
    private static readonly Dictionary<uint, string> Names = new()
    {
        [0] = "f32", [1] = "f16", [2] = "q4_0", [3] = "q4_1", [6] = "q5_0", [7] = "q5_1", [8] = "q8_0",
        [9] = "q8_1", [10] = "q2_k", [11] = "q3_k", [12] = "q4_k", [13] = "q5_k", [14] = "q6_k",
        [15] = "q8_k", [16] = "iq2_xxs", [17] = "iq2_xs", [18] = "iq3_xxs", [19] = "iq1_s", [20] = "iq4_nl",
        [21] = "iq3_s", [22] = "iq2_s", [23] = "iq4_xs", [24] = "i8", [25] = "i16", [26] = "i32",
        [27] = "i64", [28] = "f64", [29] = "iq1_m", [30] = "bf16", [34] = "tq1_0", [35] = "tq2_0", [39] = "mxfp4",
    };

    /// <summary>The ggml name of type id <paramref name="id"/>, or null for an id ggml does not define.</summary>
    public static string? NameOf(uint id) => Names.GetValueOrDefault(id);
}
