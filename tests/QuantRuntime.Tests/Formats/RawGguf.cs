using System.Buffers.Binary;
using System.Text;
using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;

namespace QuantRuntime.Tests.Formats;

/// <summary>
/// Builds GGUF images byte by byte, so tests can write exactly the malformed header they want
/// (GgufWriter refuses most of them).
/// </summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();

    /// <summary>Bytes written so far.</summary>
    public long Length => _bytes.Length;

    /// <summary>Magic, version and both counts.</summary>
    public static RawGguf Header(ulong tensorCount, ulong metadataCount, uint version = 3) =>
        new RawGguf().U32(GgufFile.Magic).U32(version).U64(tensorCount).U64(metadataCount);

    public RawGguf Bytes(params byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public RawGguf Zeros(int count) => Bytes(new byte[count]);

    public RawGguf U8(byte value) => Bytes(value);

    public RawGguf U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _bytes.Write(b);
        return this;
    }

    public RawGguf U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        _bytes.Write(b);
        return this;
    }

    /// <summary>A string: 64-bit byte length, then the bytes.</summary>
    public RawGguf Str(string value) => RawStr(Encoding.UTF8.GetBytes(value));

    /// <summary>A string of arbitrary (possibly invalid UTF-8) bytes.</summary>
    public RawGguf RawStr(byte[] utf8) => U64((ulong)utf8.Length).Bytes(utf8);

    /// <summary>A key and a value type; the caller writes the value.</summary>
    public RawGguf Key(string key, GgufValueType type) => Str(key).U32((uint)type);

    /// <summary>A key with a UInt32 value.</summary>
    public RawGguf KeyU32(string key, uint value) => Key(key, GgufValueType.UInt32).U32(value);

    /// <summary>A tensor info with a raw type id; dimensions innermost first.</summary>
    public RawGguf Tensor(string name, uint typeId, ulong offset, params ulong[] dimensions)
    {
        Str(name).U32((uint)dimensions.Length);
        foreach (ulong d in dimensions)
        {
            U64(d);
        }
        return U32(typeId).U64(offset);
    }

    /// <summary>Zero padding up to the next multiple of <paramref name="alignment"/>.</summary>
    public RawGguf Pad(int alignment = GgufFile.DefaultAlignment) =>
        Zeros((int)((alignment - _bytes.Length % alignment) % alignment));

    public byte[] ToArray() => _bytes.ToArray();
}

/// <summary>Assertions shared by the GGUF tests.</summary>
internal static class GgufAssert
{
    /// <summary>Parsing <paramref name="image"/> fails with a one-line message containing <paramref name="expected"/>.</summary>
    public static ModelFormatException ParseFails(byte[] image, string expected)
    {
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Parse(image).Dispose());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    /// <summary>Same entries, in the same order, with the same type tags and bit-identical values.</summary>
    public static void MetadataEqual(GgufMetadata expected, GgufMetadata actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (key, value) = expected.Entries[i];
            Assert.Equal(key, actual.Entries[i].Key);
            var other = actual.Entries[i].Value;
            Assert.Equal(value.Type, other.Type);
            Assert.Equal(value.Value.GetType(), other.Value.GetType());
            if (value.Value is GgufArray array)
            {
                ArrayShapesEqual(array, (GgufArray)other.Value);
            }
            Assert.True(value.ContentEquals(other), $"metadata '{key}' differs: {value} vs {other}");
        }
    }

    /// <summary>Element types and .NET item types agree at every nesting level.</summary>
    private static void ArrayShapesEqual(GgufArray expected, GgufArray actual)
    {
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Items.GetType(), actual.Items.GetType());
        Assert.Equal(expected.Count, actual.Count);
        if (expected.ElementType == GgufValueType.Array)
        {
            var a = expected.As<GgufArray>();
            var b = actual.As<GgufArray>();
            for (int i = 0; i < a.Length; i++)
            {
                ArrayShapesEqual(a[i], b[i]);
            }
        }
    }
}
