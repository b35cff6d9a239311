using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends;

/// <summary>
/// The operators of a transformer forward pass, over activations laid out row-major as
/// [rows, width] in <see cref="IDeviceBuffer"/>s. One interface, several implementations:
/// the scalar reference (the executable specification), SIMD CPU and ILGPU. Calls on
/// different buffers may run concurrently; a backend holds no per-call state.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>A short name for logs and <c>quant info</c>.</summary>
    string Name { get; }

    /// <summary>Whether this backend can compute with weights of <paramref name="type"/>.</summary>
    bool Supports(TensorType type);

    /// <summary>Allocates a zeroed activation buffer of <paramref name="length"/> floats.</summary>
    IDeviceBuffer Allocate(int length);

    /// <summary>Places <paramref name="tensor"/> where this backend computes. The backend may keep a reference to the host bytes.</summary>
    IDeviceWeight Upload(HostTensor tensor);

    /// <summary>Writes <paramref name="source"/> into <paramref name="destination"/> at <paramref name="offset"/>.</summary>
    void Write(ReadOnlySpan<float> source, IDeviceBuffer destination, int offset = 0);

    /// <summary>Reads <c>destination.Length</c> floats from <paramref name="source"/> starting at <paramref name="offset"/>.</summary>
    void Read(IDeviceBuffer source, int offset, Span<float> destination);

    /// <summary>Copies <paramref name="length"/> floats between buffers (or within one, without overlap).</summary>
    void Copy(IDeviceBuffer source, int sourceOffset, IDeviceBuffer destination, int destinationOffset, int length);

    /// <summary>output[r] = decoded row <c>tokens[r]</c> of <paramref name="table"/>.</summary>
    void Embed(IDeviceWeight table, ReadOnlySpan<int> tokens, IDeviceBuffer output);

    /// <summary>output[r] = input[r] / sqrt(mean(input[r]^2) + epsilon) * weight, for each of <paramref name="rows"/> rows of weight.Columns.</summary>
    void RmsNorm(IDeviceBuffer input, IDeviceWeight weight, IDeviceBuffer output, int rows, float epsilon);

    /// <summary>output[r, o] = sum_i input[r, i] * W[o, i]: <paramref name="rows"/> rows of W.Columns in, W.Rows out.</summary>
    void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows);

    /// <summary>x[r, i] += bias[i] for each of <paramref name="rows"/> rows of bias.Columns.</summary>
    void AddBias(IDeviceBuffer x, IDeviceWeight bias, int rows);

    /// <summary>
    /// Rotates each head of <paramref name="rows"/> rows of <c>heads * headDim</c> in place; row r
    /// sits at position <c>startPosition + r</c> and pair i turns by <c>position * theta^(-2i/headDim)</c>.
    /// </summary>
    void Rope(IDeviceBuffer x, int rows, int heads, int headDim, int startPosition, float theta, RopeStyle style);

    /// <summary>
    /// Causal grouped-query attention: for each query row and head, softmax(q·k * scale) over
    /// cache positions 0..its own, times the values, into <paramref name="output"/> [rows, heads * headDim].
    /// </summary>
    void Attention(IDeviceBuffer query, IDeviceBuffer keyCache, IDeviceBuffer valueCache, IDeviceBuffer output, AttentionShape shape);

    /// <summary>output[i] = silu(gate[i]) * up[i] for the first <paramref name="length"/> elements.</summary>
    void SwiGlu(IDeviceBuffer gate, IDeviceBuffer up, IDeviceBuffer output, int length);

    /// <summary>x[i] += addend[i] for the first <paramref name="length"/> elements.</summary>
    void Add(IDeviceBuffer x, IDeviceBuffer addend, int length);
}
