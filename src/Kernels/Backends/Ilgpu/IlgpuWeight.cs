using ILGPU;
using ILGPU.Runtime;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// A weight tensor copied once into device memory as its raw encoded bytes: float32 tensors as
/// floats, every other encoding as 16-bit words (all block and group sizes are even).
/// </summary>
internal sealed class IlgpuWeight : IDeviceWeight
{
    public IlgpuWeight(IlgpuBackend owner, TensorType type, int rows, int columns,
        MemoryBuffer1D<float, Stride1D.Dense>? floats, MemoryBuffer1D<ushort, Stride1D.Dense>? words)
    {
        Owner = owner;
        Type = type;
        Rows = rows;
        Columns = columns;
        Floats = floats;
        Words = words;
    }

    public IlgpuBackend Owner { get; }

    public TensorType Type { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>The data of an F32 tensor.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense>? Floats { get; }

    /// <summary>The bytes of any other tensor, as little-endian 16-bit words.</summary>
    public MemoryBuffer1D<ushort, Stride1D.Dense>? Words { get; }

    public ArrayView<float> FloatView => Floats is null ? default : Floats.View;

    public ArrayView<ushort> WordView => Words is null ? default : Words.View;

    public void Dispose()
    {
        Floats?.Dispose();
        Words?.Dispose();
    }
}
