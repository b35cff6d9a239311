using System.Buffers;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// A weight of the <see cref="CpuBackend"/>: the host tensor's own bytes, pinned in place (a view
/// into the memory map when the tensor came from a mapped file, so nothing is copied). One-row
/// tensors (norm gains, biases) are also decoded once to float32, which costs 4 bytes per element
/// of those vectors only.
/// </summary>
internal sealed unsafe class CpuWeight : IDeviceWeight
{
    private MemoryHandle _pin;
    private bool _disposed;

    public CpuWeight(HostTensor tensor)
    {
        Tensor = tensor;
        _pin = tensor.Data.Pin();
        Base = (byte*)_pin.Pointer;
        if (tensor.Rows == 1)
        {
            var vector = new float[tensor.Columns];
            RowDecoder.Decode(tensor.Type, tensor.Row(0), vector);
            Vector = vector;
        }
    }

    public HostTensor Tensor { get; }

    public TensorType Type => Tensor.Type;

    public int Rows => Tensor.Rows;

    public int Columns => Tensor.Columns;

    /// <summary>The encoded bytes, row after row (<see cref="RowBytes"/> each).</summary>
    public byte* Base { get; }

    public int RowBytes => Tensor.RowBytes;

    /// <summary>The decoded values of a one-row tensor; null for matrices.</summary>
    public float[]? Vector { get; private set; }

    /// <summary>The whole tensor decoded to float32 (norm gains, biases); decoded once, on first use.</summary>
    public float[] GetVector()
    {
        if (Vector is { } vector)
        {
            return vector;
        }
        lock (this)
        {
            return Vector ??= RowDecoder.DecodeAll(Tensor);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _pin.Dispose();
        }
    }
}
