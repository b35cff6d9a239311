namespace QuantRuntime.Kernels.Tensors;

/// <summary>
/// A matrix in host memory in its stored encoding: <see cref="Rows"/> rows of
/// <see cref="Columns"/> weights each, blocks running along a row. A vector is one row.
/// The bytes may live in a memory-mapped file; the tensor never copies them.
/// </summary>
public sealed class HostTensor
{
    /// <summary>Wraps <paramref name="data"/>, checking that its length matches the shape.</summary>
    /// <exception cref="ArgumentException">The shape or the byte count is inconsistent.</exception>
    public HostTensor(TensorType type, int rows, int columns, ReadOnlyMemory<byte> data)
    {
        var info = TensorTypeInfo.Of(type);
        if (rows <= 0 || columns <= 0)
        {
            throw new ArgumentException($"tensor shape {rows}x{columns} must be positive");
        }
        if (columns % info.BlockSize != 0)
        {
            throw new ArgumentException($"rows of {columns} weights are not a whole number of {info.Name} blocks of {info.BlockSize}");
        }
        long expected = checked(info.ByteCount(columns) * rows);
        if (data.Length != expected)
        {
            throw new ArgumentException($"tensor {rows}x{columns} {info.Name} needs {expected} bytes, got {data.Length}");
        }
        Type = type;
        Rows = rows;
        Columns = columns;
        Data = data;
        RowBytes = (int)info.ByteCount(columns);
    }

    /// <summary>The encoding of the weights.</summary>
    public TensorType Type { get; }

    /// <summary>Number of rows (output features of a weight matrix).</summary>
    public int Rows { get; }

    /// <summary>Weights per row (input features of a weight matrix).</summary>
    public int Columns { get; }

    /// <summary>Bytes of one encoded row.</summary>
    public int RowBytes { get; }

    /// <summary>The encoded bytes, row after row.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The encoded bytes of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<byte> Row(int row) => Data.Span.Slice(row * RowBytes, RowBytes);

    /// <summary>Wraps float32 values as a tensor (copying them into a new byte array).</summary>
    public static HostTensor FromFloats(int rows, int columns, ReadOnlySpan<float> values)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();
        return new HostTensor(TensorType.F32, rows, columns, bytes);
    }
}
