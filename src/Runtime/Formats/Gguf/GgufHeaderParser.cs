using System.Buffers.Binary;
using System.Text;
using QuantRuntime.IO;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// Reads and validates a GGUF header in place. Every count, length and size is checked
/// against the bytes that remain before anything is allocated, so a lying header fails fast.
/// </summary>
internal sealed class GgufHeaderParser(MappedFile file)
{
    private const int MaxDimensions = 4;
    private const int MaxArrayNesting = 16;
    // Lists grow from this capacity rather than from a header count, which may be a lie.
    private const int InitialCapacity = 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private long _position;

    public GgufFile Parse()
    {
        if (file.Length < 4)
        {
            throw Error("file is too short to be GGUF (truncated header)");
        }
        uint magic = ReadUInt32("magic");
        if (magic != GgufFile.Magic)
        {
            throw Error($"not a GGUF file (wrong magic 0x{magic:X8})");
        }
        uint version = ReadUInt32("version");
        if (BinaryPrimitives.ReverseEndianness(version) is 2 or 3)
        {
            throw Error("big-endian GGUF files are not supported");
        }
        if (version is not (2 or 3))
        {
            throw Error($"unsupported GGUF version {version} (expected 2 or 3)");
        }
        ulong tensorCount = ReadUInt64("tensor count");
        ulong metadataCount = ReadUInt64("metadata count");
        // The smallest key/value is an empty key (8), a type (4) and a one-byte value; the
        // smallest tensor info is an empty name (8), n_dims (4), one dimension (8), type (4), offset (8).
        CheckCount(metadataCount, 13, "metadata entries");
        CheckCount(tensorCount, 32, "tensor infos");

        var entries = new List<KeyValuePair<string, GgufValue>>((int)Math.Min(metadataCount, InitialCapacity));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < metadataCount; i++)
        {
            string key = ReadString($"key of metadata entry {i}");
            if (!keys.Add(key))
            {
                throw Error($"duplicate metadata key '{key}'");
            }
            var type = ReadValueType($"metadata '{key}'");
            entries.Add(new(key, ReadValue(type, key, depth: 0)));
        }
        var metadata = new GgufMetadata(entries);
        int alignment = ReadAlignment(metadata);

        var infos = new List<GgufTensorInfo>((int)Math.Min(tensorCount, InitialCapacity));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var info = ReadTensorInfo(i, alignment);
            if (!names.Add(info.Name))
            {
                throw Error($"duplicate tensor name '{info.Name}'");
            }
            infos.Add(info);
        }

        long dataOffset = AlignUp(_position, alignment);
        if (infos.Count > 0 && dataOffset > file.Length)
        {
            throw Error("file is truncated before the tensor data section");
        }
        CheckExtents(infos, dataOffset);
        return new GgufFile(file, version, metadata, infos, alignment, dataOffset);
    }

    private GgufTensorInfo ReadTensorInfo(ulong index, int alignment)
    {
        string name = ReadString($"name of tensor {index}");
        uint dimensionCount = ReadUInt32($"dimension count of tensor '{name}'");
        if (dimensionCount is 0 or > MaxDimensions)
        {
            throw Error($"tensor '{name}' has {dimensionCount} dimensions (expected 1 to {MaxDimensions})");
        }
        var dimensions = new long[dimensionCount];
        long elements = 1;
        for (int d = 0; d < dimensionCount; d++)
        {
            ulong size = ReadUInt64($"dimension {d} of tensor '{name}'");
            if (size == 0 || size > long.MaxValue)
            {
                throw Error($"tensor '{name}' has invalid dimension {d} = {size}");
            }
            dimensions[d] = (long)size;
            if (elements > long.MaxValue / (long)size)
            {
                throw Error($"tensor '{name}' element count overflows 64 bits");
            }
            elements *= (long)size;
        }
        uint typeId = ReadUInt32($"type of tensor '{name}'");
        var type = (TensorType)typeId;
        if (!TensorTypeInfo.IsKnown(type))
        {
            string? ggmlName = GgufTypeNames.NameOf(typeId);
            throw Error(ggmlName is null
                ? $"tensor '{name}' has unknown type id {typeId}"
                : $"tensor '{name}' has type {ggmlName} (id {typeId}), which QuantRuntime does not support");
        }
        var typeInfo = TensorTypeInfo.Of(type);
        if (dimensions[0] % typeInfo.BlockSize != 0)
        {
            throw Error($"tensor '{name}' rows of {dimensions[0]} are not a whole number of {typeInfo.Name} blocks of {typeInfo.BlockSize}");
        }
        if (elements / typeInfo.BlockSize > long.MaxValue / typeInfo.BlockBytes)
        {
            throw Error($"tensor '{name}' byte size overflows 64 bits");
        }
        ulong offset = ReadUInt64($"offset of tensor '{name}'");
        if (offset % (ulong)alignment != 0)
        {
            throw Error($"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}");
        }
        return new GgufTensorInfo(name, dimensions, type, offset);
    }

    private void CheckExtents(List<GgufTensorInfo> infos, long dataOffset)
    {
        long available = file.Length - dataOffset;
        foreach (var info in infos)
        {
            if (info.Offset > (ulong)available || info.ByteCount > available - (long)info.Offset)
            {
                throw Error($"tensor '{info.Name}' data ({info.ByteCount} bytes at data offset {info.Offset}) extends past the end of the file");
            }
        }
        var byOffset = infos.OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var previous = byOffset[i - 1];
            if ((long)previous.Offset + previous.ByteCount > (long)byOffset[i].Offset)
            {
                throw Error($"tensors '{previous.Name}' and '{byOffset[i].Name}' overlap");
            }
        }
    }

    private int ReadAlignment(GgufMetadata metadata)
    {
        if (!metadata.TryGetValue(GgufFile.AlignmentKey, out var value))
        {
            return GgufFile.DefaultAlignment;
        }
        if (value.Type != GgufValueType.UInt32)
        {
            throw Error($"'{GgufFile.AlignmentKey}' must be a UInt32, found {value.Type}");
        }
        uint alignment = (uint)value.Value;
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 1 << 20)
        {
            throw Error($"'{GgufFile.AlignmentKey}' = {alignment} is not a power of two up to 1 MiB");
        }
        return (int)alignment;
    }

    private GgufValue ReadValue(GgufValueType type, string key, int depth) => type switch
    {
        GgufValueType.UInt8 => GgufValue.FromUInt8(Take(1, key)[0]),
        GgufValueType.Int8 => GgufValue.FromInt8((sbyte)Take(1, key)[0]),
        GgufValueType.UInt16 => GgufValue.FromUInt16(BinaryPrimitives.ReadUInt16LittleEndian(Take(2, key))),
        GgufValueType.Int16 => GgufValue.FromInt16(BinaryPrimitives.ReadInt16LittleEndian(Take(2, key))),
        GgufValueType.UInt32 => GgufValue.FromUInt32(ReadUInt32(key)),
        GgufValueType.Int32 => GgufValue.FromInt32(BinaryPrimitives.ReadInt32LittleEndian(Take(4, key))),
        GgufValueType.Float32 => GgufValue.FromFloat32(BinaryPrimitives.ReadSingleLittleEndian(Take(4, key))),
        GgufValueType.Bool => GgufValue.FromBool(ReadBool(key)),
        GgufValueType.String => GgufValue.FromString(ReadString(key)),
        GgufValueType.Array => GgufValue.FromArray(ReadArray(key, depth)),
        GgufValueType.UInt64 => GgufValue.FromUInt64(ReadUInt64(key)),
        GgufValueType.Int64 => GgufValue.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(Take(8, key))),
        GgufValueType.Float64 => GgufValue.FromFloat64(BinaryPrimitives.ReadDoubleLittleEndian(Take(8, key))),
        _ => throw Error($"metadata '{key}' has unknown value type {(uint)type}"),
    };

    private GgufArray ReadArray(string key, int depth)
    {
        if (depth >= MaxArrayNesting)
        {
            throw Error($"metadata '{key}' nests arrays deeper than {MaxArrayNesting} levels");
        }
        var elementType = ReadValueType(key);
        ulong count = ReadUInt64($"array length of '{key}'");
        int minimum = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.String or GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            _ => 12, // a nested array: element type and count
        };
        CheckCount(count, minimum, $"elements of '{key}'");
        // A file over 2 GiB can hold more elements than one .NET array, and their byte count would overflow an int.
        if (count * (ulong)minimum > (ulong)Array.MaxLength)
        {
            throw Error($"metadata '{key}' array of {count} elements is too large");
        }
        int n = (int)count;
        switch (elementType)
        {
            case GgufValueType.UInt8: return GgufArray.Of(Take(n, key).ToArray());
            case GgufValueType.Int8: return GgufArray.Of(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(Take(n, key)).ToArray());
            case GgufValueType.Bool:
                var bools = new bool[n];
                for (int i = 0; i < n; i++) bools[i] = ReadBool(key);
                return GgufArray.Of(bools);
            case GgufValueType.UInt16: return GgufArray.Of(ReadPrimitives<ushort>(n, key));
            case GgufValueType.Int16: return GgufArray.Of(ReadPrimitives<short>(n, key));
            case GgufValueType.UInt32: return GgufArray.Of(ReadPrimitives<uint>(n, key));
            case GgufValueType.Int32: return GgufArray.Of(ReadPrimitives<int>(n, key));
            case GgufValueType.Float32: return GgufArray.Of(ReadPrimitives<float>(n, key));
            case GgufValueType.UInt64: return GgufArray.Of(ReadPrimitives<ulong>(n, key));
            case GgufValueType.Int64: return GgufArray.Of(ReadPrimitives<long>(n, key));
            case GgufValueType.Float64: return GgufArray.Of(ReadPrimitives<double>(n, key));
            case GgufValueType.String:
                var strings = new string[n];
                for (int i = 0; i < n; i++) strings[i] = ReadString(key);
                return GgufArray.Of(strings);
            default:
                var arrays = new GgufArray[n];
                for (int i = 0; i < n; i++) arrays[i] = ReadArray(key, depth + 1);
                return GgufArray.Of(arrays);
        }
    }

    private T[] ReadPrimitives<T>(int count, string key)
        where T : unmanaged
    {
        // GGUF is little-endian, as is every platform .NET runs this library on.
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Take(count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), key)).ToArray();
    }

    private GgufValueType ReadValueType(string context)
    {
        uint raw = ReadUInt32($"value type of {context}");
        if (raw > (uint)GgufValueType.Float64)
        {
            throw Error($"{context} has unknown value type {raw}");
        }
        return (GgufValueType)raw;
    }

    private bool ReadBool(string key)
    {
        byte b = Take(1, key)[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw Error($"metadata '{key}' has bool byte {b} (expected 0 or 1)"),
        };
    }

    private string ReadString(string context)
    {
        ulong length = ReadUInt64($"string length of {context}");
        if (length > (ulong)Remaining)
        {
            throw Error($"string length {length} of {context} extends past the end of the file");
        }
        if (length > int.MaxValue)
        {
            throw Error($"string length {length} of {context} is too large");
        }
        var bytes = Take((int)length, context);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error($"{context} is not valid UTF-8");
        }
    }

    private uint ReadUInt32(string context) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, context));

    private ulong ReadUInt64(string context) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, context));

    private long Remaining => file.Length - _position;

    private ReadOnlySpan<byte> Take(int count, string context)
    {
        if (count > Remaining)
        {
            throw Error($"file is truncated in {context} at byte {_position}");
        }
        var span = file.Span(_position, count);
        _position += count;
        return span;
    }

    private void CheckCount(ulong count, int minimumBytesEach, string what)
    {
        if (count > int.MaxValue || count * (ulong)minimumBytesEach > (ulong)Remaining)
        {
            throw Error($"header claims {count} {what}, more than the file can hold (truncated or corrupt file)");
        }
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static ModelFormatException Error(string message) => new(message);
}
