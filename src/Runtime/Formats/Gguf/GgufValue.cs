namespace QuantRuntime.Formats.Gguf;

/// <summary>An immutable GGUF metadata value with its exact type tag, so a file rewrites bit for bit.</summary>
public sealed class GgufValue
{
    private readonly object _value;

    private GgufValue(GgufValueType type, object value)
    {
        Type = type;
        _value = value;
    }

    /// <summary>The stored type.</summary>
    public GgufValueType Type { get; }

    /// <summary>The value boxed as its .NET type (string, uint, float, <see cref="GgufArray"/>...).</summary>
    public object Value => _value;

    /// <summary>A UInt8 value.</summary>
    public static GgufValue FromUInt8(byte value) => new(GgufValueType.UInt8, value);
    /// <summary>An Int8 value.</summary>
    public static GgufValue FromInt8(sbyte value) => new(GgufValueType.Int8, value);
    /// <summary>A UInt16 value.</summary>
    public static GgufValue FromUInt16(ushort value) => new(GgufValueType.UInt16, value);
    /// <summary>An Int16 value.</summary>
    public static GgufValue FromInt16(short value) => new(GgufValueType.Int16, value);
    /// <summary>A UInt32 value.</summary>
    public static GgufValue FromUInt32(uint value) => new(GgufValueType.UInt32, value);
    /// <summary>An Int32 value.</summary>
    public static GgufValue FromInt32(int value) => new(GgufValueType.Int32, value);
    /// <summary>A Float32 value.</summary>
    public static GgufValue FromFloat32(float value) => new(GgufValueType.Float32, value);
    /// <summary>A Bool value.</summary>
    public static GgufValue FromBool(bool value) => new(GgufValueType.Bool, value);
    /// <summary>A String value.</summary>
    public static GgufValue FromString(string value) => new(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));
    /// <summary>An Array value.</summary>
    public static GgufValue FromArray(GgufArray value) => new(GgufValueType.Array, value ?? throw new ArgumentNullException(nameof(value)));
    /// <summary>A UInt64 value.</summary>
    public static GgufValue FromUInt64(ulong value) => new(GgufValueType.UInt64, value);
    /// <summary>An Int64 value.</summary>
    public static GgufValue FromInt64(long value) => new(GgufValueType.Int64, value);
    /// <summary>A Float64 value.</summary>
    public static GgufValue FromFloat64(double value) => new(GgufValueType.Float64, value);

    /// <summary>The string value.</summary>
    public string AsString() => _value as string ?? throw Mismatch("a string");

    /// <summary>The array value.</summary>
    public GgufArray AsArray() => _value as GgufArray ?? throw Mismatch("an array");

    /// <summary>The boolean value.</summary>
    public bool AsBool() => _value is bool b ? b : throw Mismatch("a bool");

    /// <summary>Any integer value, widened to Int64.</summary>
    /// <exception cref="InvalidCastException">The value is not an integer or does not fit.</exception>
    public long AsInt64() => _value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw Mismatch("an integer"),
    };

    /// <summary>Any numeric value as binary64.</summary>
    public double AsDouble() => _value switch
    {
        float v => v,
        double v => v,
        _ => AsInt64(),
    };

    /// <summary>Whether both values have the same type tag and bit-identical content.</summary>
    public bool ContentEquals(GgufValue other) => other.Type == Type && (_value, other._value) switch
    {
        (GgufArray a, GgufArray b) => a.ContentEquals(b),
        (float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b),
        (double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b),
        _ => Equals(_value, other._value),
    };

    /// <inheritdoc />
    public override string ToString() => _value switch
    {
        GgufArray a => $"[{a.ElementType} x {a.Count}]",
        _ => Convert.ToString(_value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private InvalidCastException Mismatch(string wanted) => new($"GGUF value of type {Type} is not {wanted}");
}
