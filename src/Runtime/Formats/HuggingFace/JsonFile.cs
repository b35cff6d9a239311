using System.Text.Json;

namespace QuantRuntime.Formats.HuggingFace;

/// <summary>
/// Reading the JSON files of a checkpoint folder with one-line <see cref="ModelFormatException"/>s
/// that name the file and the key: sizes bounded before reading, nesting bounded while parsing,
/// each value's kind checked where it is read.
/// </summary>
internal sealed class JsonFile : IDisposable
{
    private readonly JsonDocument _document;

    private JsonFile(string name, JsonDocument document)
    {
        Name = name;
        _document = document;
        Root = document.RootElement;
    }

    /// <summary>The file name used in messages (<c>config.json</c>).</summary>
    public string Name { get; }

    /// <summary>The top-level object.</summary>
    public JsonElement Root { get; }

    /// <summary>Reads and parses <paramref name="path"/>, whose top level must be an object.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">Larger files are refused before they are read.</param>
    /// <exception cref="ModelFormatException">Too large, not JSON, or not an object.</exception>
    public static JsonFile Read(string path, long maxBytes)
    {
        string name = Path.GetFileName(path);
        long length = new FileInfo(path).Length;
        if (length > maxBytes)
        {
            throw new ModelFormatException($"{name} is {length} bytes, over the {maxBytes}-byte limit");
        }
        return Parse(name, File.ReadAllBytes(path));
    }

    /// <summary>Parses JSON held in memory; dispose the result when done with its elements.</summary>
    public static JsonFile Parse(string name, byte[] utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = 64, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{name} is not valid JSON: {OneLine(e.Message)}");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new ModelFormatException($"{name} is not a JSON object");
        }
        return new JsonFile(name, document);
    }

    /// <summary>The member <paramref name="key"/> of <paramref name="owner"/>, or null when absent or JSON null.</summary>
    public static JsonElement? Member(JsonElement owner, string key) =>
        owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A member of the top-level object, or null.</summary>
    public JsonElement? Member(string key) => Member(Root, key);

    /// <summary>An optional integer in <c>[min, max]</c>.</summary>
    public long? Integer(JsonElement owner, string key, long min = 0, long max = int.MaxValue)
    {
        if (Member(owner, key) is not { } value)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long v) && v >= min && v <= max
            ? v
            : throw Error($"'{key}' must be an integer in [{min}, {max}], not {Shown(value)}");
    }

    /// <summary>A required positive integer of the top-level object.</summary>
    public int RequiredPositive(string key) =>
        (int)(Integer(Root, key, 1, int.MaxValue) ?? throw Error($"'{key}' is missing"));

    /// <summary>An optional finite number.</summary>
    public double? Number(JsonElement owner, string key)
    {
        if (Member(owner, key) is not { } value)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double v) && double.IsFinite(v)
            ? v
            : throw Error($"'{key}' must be a number, not {Shown(value)}");
    }

    /// <summary>An optional boolean.</summary>
    public bool? Bool(JsonElement owner, string key) => Member(owner, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } value => throw Error($"'{key}' must be true or false, not {Shown(value)}"),
    };

    /// <summary>An optional string.</summary>
    public string? String(JsonElement owner, string key) => Member(owner, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => Text(value, key),
        { } value => throw Error($"'{key}' must be a string, not {Shown(value)}"),
    };

    /// <summary>An optional integer or list of integers (as HF writes <c>eos_token_id</c>).</summary>
    public IReadOnlyList<int> IntegerOrList(JsonElement owner, string key)
    {
        switch (Member(owner, key))
        {
            case null:
                return [];
            case { ValueKind: JsonValueKind.Array } array:
                var ids = new List<int>();
                foreach (var item in array.EnumerateArray())
                {
                    ids.Add(item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int id) && id >= 0
                        ? id
                        : throw Error($"'{key}' must hold non-negative integers, not {Shown(item)}"));
                }
                return ids;
            default:
                return [(int)Integer(owner, key)!.Value];
        }
    }

    /// <summary>The string value of <paramref name="value"/>; invalid UTF-16 after unescaping becomes a format error.</summary>
    public string Text(JsonElement value, string what)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Error($"{what} is not a valid string");
        }
    }

    /// <summary>A member name; invalid UTF-16 after unescaping becomes a format error.</summary>
    public string KeyOf(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw Error("a key is not a valid string");
        }
    }

    /// <summary>An error about this file.</summary>
    public ModelFormatException Error(string message) => new($"{Name}: {message}");

    /// <summary>A value as it appears in the file, shortened for a message.</summary>
    public static string Shown(JsonElement value)
    {
        string raw = OneLine(value.GetRawText());
        return raw.Length > 40 ? raw[..40] + "..." : raw;
    }

    /// <inheritdoc />
    public void Dispose() => _document.Dispose();

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
