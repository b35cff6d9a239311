using System.Buffers.Binary;
using System.Text.Json;
using QuantRuntime.IO;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.SafeTensors;

/// <summary>
/// A safetensors file, memory-mapped: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}</c>), then
/// the data section. The header is validated at open (length bounded by the file and by
/// <see cref="MaxHeaderBytes"/>, known dtypes, shape × element size = byte range, ranges inside the
/// data section and not overlapping, no repeated names); tensor data is handed out as zero-copy
/// slices of the mapping, valid until this object is disposed.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>The largest header accepted (the limit of the reference implementation, 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const int MaxRank = 8;

    private readonly MappedFile _file;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(MappedFile file, long dataOffset, IReadOnlyList<SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        _file = file;
        DataOffset = dataOffset;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The tensors, in data-section order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The free-form string metadata (<c>__metadata__</c>), empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>File offset of the data section (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>Length of the file in bytes.</summary>
    public long FileLength => _file.Length;

    /// <summary>Maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static SafeTensorsFile Open(string path) => Parse(MappedFile.Open(path));

    /// <summary>Validates a safetensors image held in memory (for tests and fuzzing).</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid safetensors file.</exception>
    public static SafeTensorsFile Parse(byte[] bytes) => Parse(MappedFile.FromBytes(bytes));

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafeTensorInfo? tensor) =>
        _byName.TryGetValue(name, out tensor);

    /// <summary>The bytes of <paramref name="tensor"/>, without copying.</summary>
    /// <exception cref="ModelFormatException">The tensor is larger than 2 GiB, which one span cannot address.</exception>
    public ReadOnlyMemory<byte> GetData(SafeTensorInfo tensor)
    {
        if (tensor.ByteCount > int.MaxValue)
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' holds {tensor.ByteCount} bytes; tensors over 2 GiB are not supported");
        }
        return _file.Slice(DataOffset + tensor.Begin, (int)tensor.ByteCount);
    }

    /// <summary>
    /// The tensor as a host matrix without copying: a 1-D tensor is one row, a 2-D tensor is
    /// [rows, columns] as stored (PyTorch's [out, in] for a linear layer's weight).
    /// </summary>
    /// <exception cref="ModelFormatException">The dtype is not F32, F16 or BF16, or the tensor is not 1-D or 2-D, or empty.</exception>
    public HostTensor GetHostTensor(SafeTensorInfo tensor)
    {
        var type = tensor.TensorType
            ?? throw new ModelFormatException($"tensor '{tensor.Name}' is {tensor.DType}; only F32, F16 and BF16 are supported");
        if (tensor.Shape.Count is not (1 or 2) || tensor.Shape.Any(d => d is <= 0 or > int.MaxValue))
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' has shape {tensor.ShapeText}; expected a non-empty vector or matrix");
        }
        int rows = tensor.Shape.Count == 1 ? 1 : (int)tensor.Shape[0];
        int columns = (int)tensor.Shape[^1];
        return new HostTensor(type, rows, columns, GetData(tensor));
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static SafeTensorsFile Parse(MappedFile file)
    {
        try
        {
            var (dataOffset, tensors, metadata) = ParseHeader(file);
            return new SafeTensorsFile(file, dataOffset, tensors, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static (long DataOffset, List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(MappedFile file)
    {
        if (file.Length < 8)
        {
            throw new ModelFormatException($"file is too short for a safetensors header ({file.Length} bytes)");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
        if (headerLength > MaxHeaderBytes)
        {
            throw new ModelFormatException($"safetensors header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        }
        if ((long)headerLength > file.Length - 8)
        {
            throw new ModelFormatException($"safetensors header length {headerLength} runs past the end of the {file.Length}-byte file");
        }
        if (headerLength < 2)
        {
            throw new ModelFormatException($"safetensors header length {headerLength} is too short for a JSON object");
        }
        long dataOffset = 8 + (long)headerLength;
        long dataLength = file.Length - dataOffset;
        var header = file.Slice(8, (int)headerLength);
        if (header.Span[0] != (byte)'{')
        {
            throw new ModelFormatException("safetensors header does not start with '{'");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"safetensors header is not valid JSON: {OneLine(e.Message)}");
        }
        using (document)
        {
            try
            {
                return ReadEntries(document.RootElement, dataOffset, dataLength);
            }
            catch (InvalidOperationException e)
            {
                // JsonElement throws this for a string that is not valid UTF-8 / UTF-16 once unescaped.
                throw new ModelFormatException($"safetensors header holds an invalid string: {OneLine(e.Message)}");
            }
        }
    }

    private static (long DataOffset, List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ReadEntries(JsonElement root, long dataOffset, long dataLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException("safetensors header is not a JSON object");
        }
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!names.Add(name))
            {
                throw new ModelFormatException($"safetensors header holds '{Show(name)}' twice");
            }
            if (name == MetadataKey)
            {
                ReadMetadata(property.Value, metadata);
                continue;
            }
            tensors.Add(ReadTensor(name, property.Value, dataLength));
        }
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        for (int i = 1; i < tensors.Count; i++)
        {
            if (tensors[i].Begin < tensors[i - 1].End)
            {
                throw new ModelFormatException(
                    $"tensors '{Show(tensors[i - 1].Name)}' and '{Show(tensors[i].Name)}' overlap in the data section");
            }
        }
        return (dataOffset, tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException("safetensors __metadata__ is not an object of strings");
        }
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new ModelFormatException($"safetensors __metadata__ '{Show(entry.Name)}' is not a string");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new ModelFormatException($"safetensors __metadata__ holds '{Show(entry.Name)}' twice");
            }
        }
    }

    private static SafeTensorInfo ReadTensor(string name, JsonElement value, long dataLength)
    {
        string shown = Show(name);
        if (name.Length == 0)
        {
            throw new ModelFormatException("safetensors header has a tensor with an empty name");
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException($"tensor '{shown}': header entry is not an object");
        }
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new ModelFormatException($"tensor '{shown}': 'dtype' is missing or not a string");
        }
        string dtype = dtypeElement.GetString()!;
        int elementSize = SafeTensorsDTypes.ElementSize(dtype)
            ?? throw new ModelFormatException($"tensor '{shown}': unknown dtype '{Show(dtype)}'");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException($"tensor '{shown}': 'shape' is missing or not an array");
        }
        int rank = shapeElement.GetArrayLength();
        if (rank > MaxRank)
        {
            throw new ModelFormatException($"tensor '{shown}': {rank} dimensions (at most {MaxRank} are accepted)");
        }
        var shape = new long[rank];
        long elements = 1;
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dimension) || dimension < 0)
            {
                throw new ModelFormatException($"tensor '{shown}': shape entry {i} is not a non-negative integer");
            }
            shape[i++] = dimension;
            try
            {
                elements = checked(elements * dimension);
            }
            catch (OverflowException)
            {
                throw new ModelFormatException($"tensor '{shown}': shape [{string.Join(", ", shape[..i])}...] has too many elements");
            }
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw new ModelFormatException($"tensor '{shown}': 'data_offsets' is missing or not a pair [begin, end]");
        }
        if (!offsets[0].TryGetInt64OrNull(out long begin) || !offsets[1].TryGetInt64OrNull(out long end) || begin < 0 || end < begin)
        {
            throw new ModelFormatException($"tensor '{shown}': data_offsets {OneLine(offsets.GetRawText())} are not 0 <= begin <= end");
        }
        if (end > dataLength)
        {
            throw new ModelFormatException(
                $"tensor '{shown}': bytes {begin}..{end} run past the end of the {dataLength}-byte data section");
        }
        long expected;
        try
        {
            expected = checked(elements * elementSize);
        }
        catch (OverflowException)
        {
            throw new ModelFormatException($"tensor '{shown}': shape {Shape(shape)} of {dtype} is too large");
        }
        if (end - begin != expected)
        {
            throw new ModelFormatException(
                $"tensor '{shown}': shape {Shape(shape)} of {dtype} needs {expected} bytes but data_offsets give {end - begin}");
        }
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>A name fit for a one-line message: control characters escaped, long names cut.</summary>
    internal static string Show(string text)
    {
        var s = new System.Text.StringBuilder(Math.Min(text.Length, 80));
        foreach (char c in text.Length > 80 ? text[..80] : text)
        {
            s.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c);
        }
        return text.Length > 80 ? s.Append("...").ToString() : s.ToString();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}

internal static class JsonElementExtensions
{
    /// <summary>Reads an integer element; false for any other kind or a non-integral or out-of-range number.</summary>
    public static bool TryGetInt64OrNull(this JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value);
    }
}
