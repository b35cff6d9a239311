using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using QuantRuntime.IO;

namespace QuantRuntime.Formats.SafeTensors;

/// <summary>
/// Builds a safetensors file: the JSON header (tensors in the order added, then
/// <c>__metadata__</c>), padded with spaces to a multiple of 8 bytes as the reference writer
/// does, then the tensors' bytes back to back.
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, string DType, long[] Shape, ReadOnlyMemory<byte> Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor of <paramref name="dtype"/> and <paramref name="shape"/> (outermost first).</summary>
    /// <exception cref="ArgumentException">The name repeats, the dtype is unknown, or the bytes do not match the shape.</exception>
    public SafeTensorsWriter Add(string name, string dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__" || !_names.Add(name))
        {
            throw new ArgumentException($"tensor name '{name}' is repeated or reserved");
        }
        int size = SafeTensorsDTypes.ElementSize(dtype) ?? throw new ArgumentException($"unknown safetensors dtype '{dtype}'");
        long elements = shape.Aggregate(1L, (a, b) => b < 0 ? throw new ArgumentException($"negative dimension in '{name}'") : checked(a * b));
        if (checked(elements * size) != data.Length)
        {
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes do not hold [{string.Join(", ", shape)}] of {dtype}");
        }
        _tensors.Add((name, dtype, [.. shape], data));
        return this;
    }

    /// <summary>Adds a host matrix: a one-row tensor as a vector when <paramref name="asVector"/>, else as [rows, columns].</summary>
    public SafeTensorsWriter Add(string name, Kernels.Tensors.HostTensor tensor, bool asVector = false) =>
        Add(name, SafeTensorsDTypes.FromTensorType(tensor.Type), asVector ? [tensor.Columns] : [tensor.Rows, tensor.Columns], tensor.Data);

    /// <summary>Sets a <c>__metadata__</c> entry.</summary>
    public SafeTensorsWriter AddMetadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>Writes the file atomically to <paramref name="path"/> (see <see cref="AtomicFile"/>).</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            long offset = 0;
            foreach (var (name, dtype, shape, data) in _tensors)
            {
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtype);
                writer.WriteStartArray("shape");
                foreach (long d in shape)
                {
                    writer.WriteNumberValue(d);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + data.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += data.Length;
            }
            if (_metadata.Count > 0)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in _metadata)
                {
                    writer.WriteString(key, value);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
        {
            json.WriteByte((byte)' ');
        }
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        stream.Write(length);
        json.Position = 0;
        json.CopyTo(stream);
        foreach (var tensor in _tensors)
        {
            stream.Write(tensor.Data.Span);
        }
    }

    /// <summary>The header JSON as text (for tests and diagnostics).</summary>
    public static string ReadHeaderText(byte[] file)
    {
        long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return Encoding.UTF8.GetString(file, 8, (int)length);
    }
}
