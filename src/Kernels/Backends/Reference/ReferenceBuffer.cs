namespace QuantRuntime.Kernels.Backends.Reference;

/// <summary>An activation buffer of the reference backend: a managed array.</summary>
internal sealed class ReferenceBuffer(int length) : IDeviceBuffer
{
    public float[] Data { get; } = new float[length];

    public int Length => Data.Length;

    public void Dispose()
    {
    }
}
