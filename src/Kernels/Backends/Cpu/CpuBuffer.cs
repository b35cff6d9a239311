namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// An activation buffer of the <see cref="CpuBackend"/>: a zeroed float array on the pinned object
/// heap, viewed from a 64-byte aligned start so that full-width vector loads never split a cache line.
/// </summary>
internal sealed unsafe class CpuBuffer : IDeviceBuffer
{
    private const int AlignFloats = 16;
    private readonly float[] _storage;
    private readonly int _offset;

    public CpuBuffer(int length)
    {
        Length = length;
        _storage = GC.AllocateArray<float>(length + AlignFloats, pinned: true);
        fixed (float* p = _storage)
        {
            _offset = (int)(((64 - ((nint)p & 63)) & 63) / sizeof(float));
        }
    }

    public int Length { get; }

    /// <summary>The first element; stable for the buffer's lifetime (pinned).</summary>
    public float* Pointer
    {
        get
        {
            fixed (float* p = _storage)
            {
                return p + _offset;
            }
        }
    }

    public Span<float> Span => _storage.AsSpan(_offset, Length);

    public void Dispose()
    {
    }
}
