using System.Buffers.Binary;
using System.Text;
using QuantRuntime.IO;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata in the order added, then tensor infos, then tensor data laid
/// out in the order added, each at the alignment (<c>general.alignment</c> if set, else 32).
/// </summary>
public sealed class GgufWriter
{
    // The largest alignment GgufFile accepts.
    private const uint MaxAlignment = 1 << 20;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<(string Name, long[] Dimensions, TensorType Type, ReadOnlyMemory<byte> Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Number of tensors added.</summary>
    public int TensorCount => _tensors.Count;

    /// <summary>Adds a metadata entry.</summary>
    /// <exception cref="ArgumentException">The key was already added, or general.alignment is not a power-of-two UInt32 up to 1 MiB.</exception>
    public GgufWriter Add(string key, GgufValue value)
    {
        if (_keys.Contains(key))
        {
            throw new ArgumentException($"duplicate metadata key '{key}'");
        }
        if (key == GgufFile.AlignmentKey && (value.Type != GgufValueType.UInt32 || !IsPowerOfTwo((uint)value.Value) || (uint)value.Value > MaxAlignment))
        {
            throw new ArgumentException($"'{GgufFile.AlignmentKey}' must be a power-of-two UInt32 up to 1 MiB");
        }
        _keys.Add(key);
        _metadata.Add(new(key, value));
        return this;
    }

    /// <summary>Adds a string entry.</summary>
    public GgufWriter Add(string key, string value) => Add(key, GgufValue.FromString(value));

    /// <summary>Adds a UInt32 entry.</summary>
    public GgufWriter Add(string key, uint value) => Add(key, GgufValue.FromUInt32(value));

    /// <summary>Adds a Float32 entry.</summary>
    public GgufWriter Add(string key, float value) => Add(key, GgufValue.FromFloat32(value));

    /// <summary>Adds a Bool entry.</summary>
    public GgufWriter Add(string key, bool value) => Add(key, GgufValue.FromBool(value));

    /// <summary>Adds an array entry.</summary>
    public GgufWriter Add(string key, GgufArray value) => Add(key, GgufValue.FromArray(value));

    /// <summary>Adds every entry of <paramref name="metadata"/>, in order.</summary>
    public GgufWriter AddAll(GgufMetadata metadata)
    {
        foreach (var (key, value) in metadata.Entries)
        {
            Add(key, value);
        }
        return this;
    }

    /// <summary>Adds a tensor. <paramref name="dimensions"/> are in ggml order, innermost first.</summary>
    /// <exception cref="ArgumentException">The name repeats, or the data does not match the shape and type.</exception>
    public GgufWriter AddTensor(string name, TensorType type, IReadOnlyList<long> dimensions, ReadOnlyMemory<byte> data)
    {
        if (_names.Contains(name))
        {
            throw new ArgumentException($"duplicate tensor name '{name}'");
        }
        if (dimensions.Count is 0 or > 4 || dimensions.Any(d => d <= 0))
        {
            throw new ArgumentException($"tensor '{name}' has invalid dimensions [{string.Join(", ", dimensions)}]");
        }
        var info = TensorTypeInfo.Of(type);
        long elements = dimensions.Aggregate(1L, (a, b) => checked(a * b));
        if (dimensions[0] % info.BlockSize != 0 || info.ByteCount(elements) != data.Length)
        {
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes do not hold [{string.Join(", ", dimensions)}] of {info.Name}");
        }
        _names.Add(name);
        _tensors.Add((name, [.. dimensions], type, data));
        return this;
    }

    /// <summary>Adds a host matrix as a tensor with dimensions {columns, rows}.</summary>
    public GgufWriter AddTensor(string name, HostTensor tensor) =>
        AddTensor(name, tensor.Type, tensor.Rows == 1 ? [tensor.Columns] : [tensor.Columns, tensor.Rows], tensor.Data);

    /// <summary>Writes the file atomically to <paramref name="path"/> (see <see cref="AtomicFile"/>).</summary>
    public void Save(string path, Func<Stream, Stream>? wrapStream = null) => AtomicFile.Write(path, WriteTo, wrapStream);

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException">A key, string or tensor name holds a lone surrogate, which UTF-8 cannot encode.</exception>
    public void WriteTo(Stream stream)
    {
        int alignment = _metadata.FirstOrDefault(e => e.Key == GgufFile.AlignmentKey).Value is { } a
            ? (int)(uint)a.Value
            : GgufFile.DefaultAlignment;
        using var output = new CountingWriter(stream);
        output.UInt32(GgufFile.Magic);
        output.UInt32(3);
        output.UInt64((ulong)_tensors.Count);
        output.UInt64((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            output.String(key);
            output.UInt32((uint)value.Type);
            WriteValue(output, value.Value);
        }
        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var (name, dimensions, type, data) = _tensors[i];
            output.String(name);
            output.UInt32((uint)dimensions.Length);
            foreach (long d in dimensions)
            {
                output.UInt64((ulong)d);
            }
            output.UInt32((uint)type);
            offset = Align(offset, alignment);
            offsets[i] = offset;
            output.UInt64((ulong)offset);
            offset += data.Length;
        }
        output.Pad(alignment);
        long dataStart = output.Position;
        for (int i = 0; i < _tensors.Count; i++)
        {
            output.Pad(alignment);
            System.Diagnostics.Debug.Assert(output.Position - dataStart == offsets[i]);
            output.Bytes(_tensors[i].Data.Span);
        }
    }

    private static void WriteValue(CountingWriter output, object value)
    {
        switch (value)
        {
            case byte v: output.Bytes([v]); break;
            case sbyte v: output.Bytes([(byte)v]); break;
            case ushort v: output.UInt16(v); break;
            case short v: output.UInt16((ushort)v); break;
            case uint v: output.UInt32(v); break;
            case int v: output.UInt32((uint)v); break;
            case float v: output.UInt32(BitConverter.SingleToUInt32Bits(v)); break;
            case bool v: output.Bytes([v ? (byte)1 : (byte)0]); break;
            case string v: output.String(v); break;
            case ulong v: output.UInt64(v); break;
            case long v: output.UInt64((ulong)v); break;
            case double v: output.UInt64(BitConverter.DoubleToUInt64Bits(v)); break;
            case GgufArray array:
                output.UInt32((uint)array.ElementType);
                output.UInt64((ulong)array.Count);
                WriteArrayItems(output, array);
                break;
            default: throw new ArgumentException($"cannot write a {value.GetType().Name} as GGUF");
        }
    }

    private static void WriteArrayItems(CountingWriter output, GgufArray array)
    {
        switch (array.Items)
        {
            case byte[] v: output.Bytes(v); break;
            case sbyte[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case ushort[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case short[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case uint[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case int[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case float[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case ulong[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case long[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            case double[] v: output.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())); break;
            default:
                foreach (object? item in array.Items)
                {
                    WriteValue(output, item!);
                }
                break;
        }
    }

    private static long Align(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static bool IsPowerOfTwo(uint value) => value != 0 && (value & (value - 1)) == 0;

    /// <summary>A little-endian binary writer that tracks its position without seeking.</summary>
    private sealed class CountingWriter(Stream stream) : IDisposable
    {
        private readonly BufferedStream _buffer = new(stream, 1 << 16);

        public long Position { get; private set; }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            _buffer.Write(bytes);
            Position += bytes.Length;
        }

        public void UInt16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            Bytes(b);
        }

        public void UInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Bytes(b);
        }

        public void UInt64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            Bytes(b);
        }

        public void String(string value)
        {
            byte[] utf8;
            try
            {
                utf8 = StrictUtf8.GetBytes(value);
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException($"string \"{value.ReplaceLineEndings(" ")}\" holds a lone surrogate, which UTF-8 cannot encode");
            }
            UInt64((ulong)utf8.Length);
            Bytes(utf8);
        }

        public void Pad(int alignment)
        {
            ReadOnlySpan<byte> zeros = stackalloc byte[64];
            for (long padding = Align(Position, alignment) - Position; padding > 0; padding -= 64)
            {
                Bytes(zeros[..(int)Math.Min(padding, 64)]);
            }
        }

        public void Dispose() => _buffer.Flush();
    }
}
