namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// A GGUF array value: elements of one <see cref="GgufValueType"/>, held as the matching .NET
/// array (<c>uint[]</c> for UInt32, <c>string[]</c> for String, <see cref="GgufArray"/>[] for
/// nested arrays, and so on) so that large vocabularies cost no boxing.
/// </summary>
public sealed class GgufArray
{
    private readonly Array _items;

    private GgufArray(GgufValueType elementType, Array items)
    {
        ElementType = elementType;
        _items = items;
    }

    /// <summary>The type of every element.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>Number of elements.</summary>
    public int Count => _items.Length;

    /// <summary>The elements as the .NET array type that matches <see cref="ElementType"/>.</summary>
    /// <exception cref="InvalidCastException">T does not match the element type.</exception>
    public T[] As<T>() => _items as T[]
        ?? throw new InvalidCastException($"a GGUF array of {ElementType} cannot be read as {typeof(T).Name}[]");

    /// <summary>The elements as an untyped array.</summary>
    public Array Items => _items;

    /// <summary>Wraps bytes (UInt8).</summary>
    public static GgufArray Of(byte[] items) => new(GgufValueType.UInt8, items);
    /// <summary>Wraps signed bytes (Int8).</summary>
    public static GgufArray Of(sbyte[] items) => new(GgufValueType.Int8, items);
    /// <summary>Wraps UInt16 values.</summary>
    public static GgufArray Of(ushort[] items) => new(GgufValueType.UInt16, items);
    /// <summary>Wraps Int16 values.</summary>
    public static GgufArray Of(short[] items) => new(GgufValueType.Int16, items);
    /// <summary>Wraps UInt32 values.</summary>
    public static GgufArray Of(uint[] items) => new(GgufValueType.UInt32, items);
    /// <summary>Wraps Int32 values.</summary>
    public static GgufArray Of(int[] items) => new(GgufValueType.Int32, items);
    /// <summary>Wraps Float32 values.</summary>
    public static GgufArray Of(float[] items) => new(GgufValueType.Float32, items);
    /// <summary>Wraps Bool values.</summary>
    public static GgufArray Of(bool[] items) => new(GgufValueType.Bool, items);
    /// <summary>Wraps strings.</summary>
    public static GgufArray Of(string[] items) => new(GgufValueType.String, items);
    /// <summary>Wraps nested arrays.</summary>
    public static GgufArray Of(GgufArray[] items) => new(GgufValueType.Array, items);
    /// <summary>Wraps UInt64 values.</summary>
    public static GgufArray Of(ulong[] items) => new(GgufValueType.UInt64, items);
    /// <summary>Wraps Int64 values.</summary>
    public static GgufArray Of(long[] items) => new(GgufValueType.Int64, items);
    /// <summary>Wraps Float64 values.</summary>
    public static GgufArray Of(double[] items) => new(GgufValueType.Float64, items);

    /// <summary>Whether both arrays hold the same element type and bit-identical elements.</summary>
    public bool ContentEquals(GgufArray other)
    {
        if (other.ElementType != ElementType || other.Count != Count)
        {
            return false;
        }
        for (int i = 0; i < Count; i++)
        {
            object? a = _items.GetValue(i), b = other._items.GetValue(i);
            bool same = (a, b) switch
            {
                (GgufArray x, GgufArray y) => x.ContentEquals(y),
                (float x, float y) => BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y),
                (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
                _ => Equals(a, b),
            };
            if (!same)
            {
                return false;
            }
        }
        return true;
    }
}
