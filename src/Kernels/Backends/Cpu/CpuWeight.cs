using System.Buffers;
using System.Runtime.InteropServices;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// A weight of the <see cref="CpuBackend"/>: the host tensor's own bytes, pinned in place (a view
/// into the memory map when the tensor came from a mapped file, so nothing is copied). One-row
/// tensors (norm gains, biases) are also decoded once to float32, which costs 4 bytes per element
/// of those vectors only. On AVX-512, Q4_0- and Q8_0-layout matrices are repacked once, on first use,
/// into <see cref="Q4_0Interleaved"/>'s or <see cref="Q8_0Interleaved{TV}"/>'s layout
/// (<see cref="GetPacked"/>, the same size), after which the source's pages are evicted where the
/// source is a file mapping.
/// </summary>
internal sealed unsafe class CpuWeight : IDeviceWeight
{
    private MemoryHandle _pin;
    private bool _disposed;
    private byte* _packed;

    public CpuWeight(HostTensor tensor, InterleavedFormat interleaving)
    {
        Tensor = tensor;
        _pin = tensor.Data.Pin();
        Base = (byte*)_pin.Pointer;
        Interleaving = tensor.Rows > 1 ? interleaving : InterleavedFormat.None;
        if (tensor.Rows == 1)
        {
            var vector = new float[tensor.Columns];
            RowDecoder.Decode(tensor.Type, tensor.Row(0), vector);
            Vector = vector;
        }
    }

    /// <summary>The repacked layout matrix products use (<see cref="GetPacked"/>), if any.</summary>
    public InterleavedFormat Interleaving { get; }

    /// <summary>
    /// The <see cref="Interleaving"/> repacking, made on first use so that a table only ever
    /// embedded (token embeddings) is never copied. The source's pages are then evicted where it is a
    /// file mapping, so the weights stay resident once. Callers serialize (the backend's lock).
    /// </summary>
    public byte* GetPacked()
    {
        if (_packed == null)
        {
            int blocks = Tensor.Columns / 32;
            bool q4 = Interleaving == InterleavedFormat.Q4_0;
            int tileBlockBytes = q4 ? Q4_0Interleaved.TileBlockBytes : Q8_0Interleaved<C1>.TileBlockBytes;
            byte* packed = (byte*)NativeMemory.AlignedAlloc((nuint)InterleavedTile.PackedBytes(Tensor.Rows, blocks, tileBlockBytes), 64);
            if (q4)
            {
                Q4_0Interleaved.Repack(Base, Tensor.Rows, Tensor.RowBytes, blocks, packed);
            }
            else
            {
                Q8_0Interleaved<C1>.Repack(Base, Tensor.Rows, Tensor.RowBytes, blocks, packed);
            }
            _packed = packed;
            if (MemoryMarshal.TryGetMemoryManager(Tensor.Data, out MemoryManager<byte>? manager, out int start, out int length)
                && manager is IEvictableMemory evictable)
            {
                evictable.Evict(start, length);
            }
        }
        return _packed;
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
            NativeMemory.AlignedFree(_packed);
        }
    }
}
