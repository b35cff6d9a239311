using QuantRuntime.IO;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// A GGUF (v2 or v3) file, memory-mapped: its header is parsed and validated at open, and tensor
/// data is handed out as zero-copy slices of the mapping, valid until this object is disposed.
/// </summary>
public sealed class GgufFile : IDisposable
{
    /// <summary>The four bytes every GGUF file starts with.</summary>
    public const uint Magic = 0x46554747; // "GGUF" little-endian

    /// <summary>The key that sets the data alignment.</summary>
    public const string AlignmentKey = "general.alignment";

    /// <summary>Alignment when <see cref="AlignmentKey"/> is absent.</summary>
    public const int DefaultAlignment = 32;

    private readonly MappedFile _file;
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    internal GgufFile(MappedFile file, uint version, GgufMetadata metadata, IReadOnlyList<GgufTensorInfo> tensors, int alignment, long dataOffset)
    {
        _file = file;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataOffset = dataOffset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Key/value metadata in file order.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>Tensor entries in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Alignment of tensor data, in bytes.</summary>
    public int Alignment { get; }

    /// <summary>File offset of the data section.</summary>
    public long DataOffset { get; }

    /// <summary>Length of the file in bytes.</summary>
    public long FileLength => _file.Length;

    /// <summary>Maps and parses <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid GGUF file this runtime supports.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path);
        return Parse(file);
    }

    /// <summary>Parses a GGUF image held in memory (for tests and fuzzing).</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid GGUF file.</exception>
    public static GgufFile Parse(byte[] bytes) => Parse(MappedFile.FromBytes(bytes));

    private static GgufFile Parse(MappedFile file)
    {
        try
        {
            return new GgufHeaderParser(file).Parse();
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GgufTensorInfo? tensor) =>
        _byName.TryGetValue(name, out tensor);

    /// <summary>The encoded bytes of <paramref name="tensor"/>, without copying.</summary>
    /// <exception cref="ModelFormatException">The tensor is larger than 2 GiB, which one span cannot address.</exception>
    public ReadOnlyMemory<byte> GetData(GgufTensorInfo tensor)
    {
        long bytes = tensor.ByteCount;
        if (bytes > int.MaxValue)
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' holds {bytes} bytes; tensors over 2 GiB are not supported");
        }
        return _file.Slice(DataOffset + (long)tensor.Offset, (int)bytes);
    }

    /// <summary>The tensor as a 2-D host matrix (rows = product of the outer dimensions).</summary>
    public HostTensor GetHostTensor(GgufTensorInfo tensor)
    {
        if (tensor.Rows > int.MaxValue || tensor.Columns > int.MaxValue)
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' is {tensor.Rows}x{tensor.Columns}, too large to compute with");
        }
        return new HostTensor(tensor.Type, (int)tensor.Rows, (int)tensor.Columns, GetData(tensor));
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
