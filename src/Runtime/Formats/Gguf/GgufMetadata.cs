using System.Diagnostics.CodeAnalysis;

namespace QuantRuntime.Formats.Gguf;

/// <summary>The ordered key/value metadata of a GGUF file, with typed look-ups.</summary>
public sealed class GgufMetadata
{
    private readonly List<KeyValuePair<string, GgufValue>> _entries;
    private readonly Dictionary<string, GgufValue> _byKey;

    /// <summary>Builds metadata from entries in file order.</summary>
    /// <exception cref="ArgumentException">A key appears twice.</exception>
    public GgufMetadata(IEnumerable<KeyValuePair<string, GgufValue>> entries)
    {
        _entries = [.. entries];
        _byKey = new Dictionary<string, GgufValue>(_entries.Count, StringComparer.Ordinal);
        foreach (var (key, value) in _entries)
        {
            if (!_byKey.TryAdd(key, value))
            {
                throw new ArgumentException($"duplicate metadata key '{key}'");
            }
        }
    }

    /// <summary>The entries in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Entries => _entries;

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool Contains(string key) => _byKey.ContainsKey(key);

    /// <summary>Looks <paramref name="key"/> up.</summary>
    public bool TryGetValue(string key, [NotNullWhen(true)] out GgufValue? value) => _byKey.TryGetValue(key, out value);

    /// <summary>The string at <paramref name="key"/>, or null when absent.</summary>
    public string? GetStringOrNull(string key) => TryGetValue(key, out var v) ? Typed(key, v.AsString) : null;

    /// <summary>The integer at <paramref name="key"/>, or null when absent.</summary>
    public long? GetIntegerOrNull(string key) => TryGetValue(key, out var v) ? Typed(key, v.AsInt64) : null;

    /// <summary>The number at <paramref name="key"/>, or null when absent.</summary>
    public double? GetNumberOrNull(string key) => TryGetValue(key, out var v) ? Typed(key, v.AsDouble) : null;

    /// <summary>The boolean at <paramref name="key"/>, or null when absent.</summary>
    public bool? GetBoolOrNull(string key) => TryGetValue(key, out var v) ? Typed(key, v.AsBool) : null;

    /// <summary>The array at <paramref name="key"/>, or null when absent.</summary>
    public GgufArray? GetArrayOrNull(string key) => TryGetValue(key, out var v) ? Typed(key, v.AsArray) : null;

    /// <summary>The string at <paramref name="key"/>.</summary>
    /// <exception cref="ModelFormatException">The key is missing or not a string.</exception>
    public string GetString(string key) => GetStringOrNull(key) ?? throw Missing(key);

    /// <summary>The integer at <paramref name="key"/>.</summary>
    /// <exception cref="ModelFormatException">The key is missing or not an integer.</exception>
    public long GetInteger(string key) => GetIntegerOrNull(key) ?? throw Missing(key);

    private static T Typed<T>(string key, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidCastException e)
        {
            throw new ModelFormatException($"metadata '{key}': {e.Message}");
        }
    }

    private static ModelFormatException Missing(string key) => new($"required metadata key '{key}' is missing");
}
