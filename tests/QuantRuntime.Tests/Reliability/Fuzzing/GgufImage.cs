using System.Buffers.Binary;
using System.Text;
using QuantRuntime.Formats.Gguf;

namespace QuantRuntime.Tests.Reliability.Fuzzing;

/// <summary>
/// A GGUF file as editable parts: raw keys and value payloads, tensor infos and the data section.
/// Unlike GgufWriter it writes anything (duplicate keys, lying counts, any type id, any offset),
/// and it records where every integer field of the header lands, for field-level mutations.
/// </summary>
internal sealed class GgufImage
{
    /// <summary>A metadata entry: key bytes (maybe invalid UTF-8), the type tag, the encoded value.</summary>
    public sealed record Entry(byte[] Key, uint Type, byte[] Payload, GgufValue? Value = null)
    {
        public string KeyText => Encoding.UTF8.GetString(Key);
    }

    /// <summary>A tensor info as written: name bytes, dimensions innermost first, type id, data offset.</summary>
    public sealed record TensorEntry(byte[] Name, ulong[] Dimensions, uint Type, ulong Offset);

    public uint Magic { get; set; } = GgufFile.Magic;
    public uint Version { get; set; } = 3;
    public ulong? TensorCountOverride { get; set; }
    public ulong? MetadataCountOverride { get; set; }
    public List<Entry> Entries { get; } = [];
    public List<TensorEntry> Tensors { get; } = [];
    public int Alignment { get; set; } = GgufFile.DefaultAlignment;
    public byte[] Data { get; set; } = [];

    public GgufImage Clone()
    {
        var copy = new GgufImage
        {
            Magic = Magic,
            Version = Version,
            TensorCountOverride = TensorCountOverride,
            MetadataCountOverride = MetadataCountOverride,
            Alignment = Alignment,
            Data = Data,
        };
        copy.Entries.AddRange(Entries);
        copy.Tensors.AddRange(Tensors);
        return copy;
    }

    /// <summary>Splits a well-formed GGUF image (as GgufWriter writes it) into parts.</summary>
    public static GgufImage FromValid(byte[] bytes)
    {
        using var file = GgufFile.Parse(bytes);
        var image = new GgufImage { Version = file.Version, Alignment = file.Alignment, Data = bytes[(int)file.DataOffset..] };
        foreach (var (key, value) in file.Metadata.Entries)
        {
            image.Entries.Add(Encode(key, value));
        }
        foreach (var t in file.Tensors)
        {
            image.Tensors.Add(new TensorEntry(Encoding.UTF8.GetBytes(t.Name), [.. t.Dimensions.Select(d => (ulong)d)], (uint)t.Type, t.Offset));
        }
        return image;
    }

    /// <summary>An entry holding <paramref name="value"/>, encoded as GGUF does.</summary>
    public static Entry Encode(string key, GgufValue value)
    {
        using var stream = new MemoryStream();
        WriteValue(stream, value.Value);
        return new Entry(Encoding.UTF8.GetBytes(key), (uint)value.Type, stream.ToArray(), value);
    }

    /// <summary>The file bytes; <paramref name="fields"/> receives (offset, size) of every integer field written.</summary>
    public byte[] Serialize(List<(int Offset, int Size)>? fields = null)
    {
        using var s = new MemoryStream();
        void U32(uint v, bool field = true)
        {
            if (field) fields?.Add(((int)s.Position, 4));
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            s.Write(b);
        }
        void U64(ulong v)
        {
            fields?.Add(((int)s.Position, 8));
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, v);
            s.Write(b);
        }
        U32(Magic, field: false);
        U32(Version);
        U64(TensorCountOverride ?? (ulong)Tensors.Count);
        U64(MetadataCountOverride ?? (ulong)Entries.Count);
        foreach (var e in Entries)
        {
            U64((ulong)e.Key.Length);
            s.Write(e.Key);
            U32(e.Type);
            if (fields is not null && e.Type == (uint)GgufValueType.Array && e.Payload.Length >= 12)
            {
                fields.Add(((int)s.Position, 4));
                fields.Add(((int)s.Position + 4, 8));
            }
            else if (fields is not null && e.Type == (uint)GgufValueType.String && e.Payload.Length >= 8)
            {
                fields.Add(((int)s.Position, 8));
            }
            s.Write(e.Payload);
        }
        foreach (var t in Tensors)
        {
            U64((ulong)t.Name.Length);
            s.Write(t.Name);
            U32((uint)t.Dimensions.Length);
            foreach (ulong d in t.Dimensions)
            {
                U64(d);
            }
            U32(t.Type);
            U64(t.Offset);
        }
        long padding = (Alignment - s.Length % Alignment) % Alignment;
        s.Write(new byte[padding]);
        s.Write(Data);
        return s.ToArray();
    }

    private static void WriteValue(Stream s, object value)
    {
        Span<byte> b = stackalloc byte[8];
        switch (value)
        {
            case byte v: s.WriteByte(v); break;
            case sbyte v: s.WriteByte((byte)v); break;
            case bool v: s.WriteByte(v ? (byte)1 : (byte)0); break;
            case ushort v: BinaryPrimitives.WriteUInt16LittleEndian(b, v); s.Write(b[..2]); break;
            case short v: BinaryPrimitives.WriteInt16LittleEndian(b, v); s.Write(b[..2]); break;
            case uint v: BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b[..4]); break;
            case int v: BinaryPrimitives.WriteInt32LittleEndian(b, v); s.Write(b[..4]); break;
            case float v: BinaryPrimitives.WriteSingleLittleEndian(b, v); s.Write(b[..4]); break;
            case ulong v: BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); break;
            case long v: BinaryPrimitives.WriteInt64LittleEndian(b, v); s.Write(b); break;
            case double v: BinaryPrimitives.WriteDoubleLittleEndian(b, v); s.Write(b); break;
            case string v:
                byte[] utf8 = Encoding.UTF8.GetBytes(v);
                BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)utf8.Length);
                s.Write(b);
                s.Write(utf8);
                break;
            case GgufArray a:
                BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)a.ElementType);
                s.Write(b[..4]);
                BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)a.Count);
                s.Write(b);
                foreach (object? item in a.Items)
                {
                    WriteValue(s, item!);
                }
                break;
            default:
                throw new ArgumentException($"cannot encode {value.GetType().Name}");
        }
    }
}
