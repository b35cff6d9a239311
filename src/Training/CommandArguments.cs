using System.Globalization;

namespace QuantRuntime.Training;

/// <summary>A minimal <c>--name value</c> argument reader for the training commands, strict about unknown names and bad numbers.</summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CommandArguments(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string name = list[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= list.Count)
            {
                throw new ArgumentException($"expected '--name value', got '{name}'");
            }
            if (!_values.TryAdd(name[2..], list[++i]))
            {
                throw new ArgumentException($"option '{name}' given twice");
            }
        }
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public int Int(string name, int fallback) => Parse(name, fallback, s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));

    public ulong ULong(string name, ulong fallback) => Parse(name, fallback, s => ulong.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));

    public double Double(string name, double fallback) => Parse(name, fallback, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>Throws if an option was given that no one asked for (a typo).</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}");
        }
    }

    private T Parse<T>(string name, T fallback, Func<string, T> parse)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        try
        {
            return parse(text);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--{name}: '{text}' is not a valid {typeof(T).Name}");
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"--{name}: '{text}' is out of range");
        }
    }
}
