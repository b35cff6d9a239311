using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuantRuntime.Cli.Hosting;

/// <summary>Prints JSON the way every command does: indented, UTF-8 left readable.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Print(JsonNode node) => Console.Out.WriteLine(node.ToJsonString(Options));

    public static JsonArray Ids(IEnumerable<int> ids) => new([.. ids.Select(id => (JsonNode?)JsonValue.Create(id))]);

    /// <summary>Rounds a rate for display without pretending to more precision than a timer has.</summary>
    public static double Rate(double value) => Math.Round(value, 2);
}
