using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends;

/// <summary>
/// A backend that forwards every operator to an inner one; derived classes override the calls
/// they observe or alter (recording activations for calibration, emulating another engine's
/// rounding in tests). Weights a derived class wraps are unwrapped through <see cref="Unwrap"/>.
/// </summary>
public abstract class ComputeBackendDecorator(IComputeBackend inner) : IComputeBackend
{
    /// <summary>The backend that computes.</summary>
    protected IComputeBackend Inner { get; } = inner;

    /// <inheritdoc />
    public virtual string Name => Inner.Name;

    /// <summary>The inner backend's weight for <paramref name="weight"/> (itself unless a derived class wraps weights).</summary>
    protected virtual IDeviceWeight Unwrap(IDeviceWeight weight) => weight;

    /// <inheritdoc />
    public virtual bool Supports(TensorType type) => Inner.Supports(type);

    /// <inheritdoc />
    public virtual IDeviceBuffer Allocate(int length) => Inner.Allocate(length);

    /// <inheritdoc />
    public virtual IDeviceWeight Upload(HostTensor tensor) => Inner.Upload(tensor);

    /// <inheritdoc />
    public virtual void Write(ReadOnlySpan<float> source, IDeviceBuffer destination, int offset = 0) => Inner.Write(source, destination, offset);

    /// <inheritdoc />
    public virtual void Read(IDeviceBuffer source, int offset, Span<float> destination) => Inner.Read(source, offset, destination);

    /// <inheritdoc />
    public virtual void Copy(IDeviceBuffer source, int sourceOffset, IDeviceBuffer destination, int destinationOffset, int length) =>
        Inner.Copy(source, sourceOffset, destination, destinationOffset, length);

    /// <inheritdoc />
    public virtual void Embed(IDeviceWeight table, ReadOnlySpan<int> tokens, IDeviceBuffer output) => Inner.Embed(Unwrap(table), tokens, output);

    /// <inheritdoc />
    public virtual void RmsNorm(IDeviceBuffer input, IDeviceWeight weight, IDeviceBuffer output, int rows, float epsilon) =>
        Inner.RmsNorm(input, Unwrap(weight), output, rows, epsilon);

    /// <inheritdoc />
    public virtual void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows) =>
        Inner.MatMul(Unwrap(weight), input, output, rows);

    /// <inheritdoc />
    public virtual void AddBias(IDeviceBuffer x, IDeviceWeight bias, int rows) => Inner.AddBias(x, Unwrap(bias), rows);

    /// <inheritdoc />
    public virtual void Rope(IDeviceBuffer x, int rows, int heads, int headDim, int startPosition, float theta, RopeStyle style) =>
        Inner.Rope(x, rows, heads, headDim, startPosition, theta, style);

    /// <inheritdoc />
    public virtual void Attention(IDeviceBuffer query, IDeviceBuffer keyCache, IDeviceBuffer valueCache, IDeviceBuffer output, AttentionShape shape) =>
        Inner.Attention(query, keyCache, valueCache, output, shape);

    /// <inheritdoc />
    public virtual void SwiGlu(IDeviceBuffer gate, IDeviceBuffer up, IDeviceBuffer output, int length) => Inner.SwiGlu(gate, up, output, length);

    /// <inheritdoc />
    public virtual void Add(IDeviceBuffer x, IDeviceBuffer addend, int length) => Inner.Add(x, addend, length);

    /// <inheritdoc />
    public virtual void Dispose()
    {
        Inner.Dispose();
        GC.SuppressFinalize(this);
    }
}
