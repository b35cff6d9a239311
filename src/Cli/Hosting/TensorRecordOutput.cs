using System.Text.Json.Nodes;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Quantization;

namespace QuantRuntime.Cli.Hosting;

/// <summary>How the commands that write a model (quantize, convert) report what became of each tensor.</summary>
internal static class TensorRecordOutput
{
    /// <summary>One JSON object per tensor: name, from, to, bytes, note.</summary>
    public static JsonArray Json(IEnumerable<TensorQuantizationRecord> tensors) =>
        new([.. tensors.Select(t => (JsonNode?)new JsonObject
        {
            ["name"] = t.Name,
            ["from"] = TensorTypeInfo.Of(t.From).Name,
            ["to"] = TensorTypeInfo.Of(t.To).Name,
            ["bytes"] = t.BytesAfter,
            ["note"] = t.Note,
        })]);

    /// <summary>Each tensor's note on standard error, except the routine one for vectors kept in F32.</summary>
    public static void PrintNotes(IEnumerable<TensorQuantizationRecord> tensors)
    {
        foreach (var t in tensors.Where(t => t.Note is not null && !t.Note.StartsWith("vector", StringComparison.Ordinal)))
        {
            Console.Error.WriteLine($"note: {t.Name}: {t.Note}");
        }
    }
}
