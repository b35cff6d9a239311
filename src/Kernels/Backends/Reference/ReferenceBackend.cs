using System.Buffers;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Reference;

/// <summary>
/// The executable specification of every operator: scalar loops, weights decoded to float32
/// a row at a time, sums accumulated in float64. Slow and obviously right; every fast backend
/// is tested against it.
/// </summary>
public sealed class ReferenceBackend : IComputeBackend
{
    /// <inheritdoc />
    public string Name => "reference";

    /// <inheritdoc />
    public bool Supports(TensorType type) => TensorTypeInfo.IsKnown(type);

    /// <inheritdoc />
    public IDeviceBuffer Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new ReferenceBuffer(length);
    }

    /// <inheritdoc />
    public IDeviceWeight Upload(HostTensor tensor)
    {
        if (!Supports(tensor.Type))
        {
            throw new NotSupportedException($"the {Name} backend cannot compute with {TensorTypeInfo.Of(tensor.Type).Name} tensors");
        }
        return new ReferenceWeight(tensor);
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<float> source, IDeviceBuffer destination, int offset = 0) =>
        source.CopyTo(Data(destination).AsSpan(offset));

    /// <inheritdoc />
    public void Read(IDeviceBuffer source, int offset, Span<float> destination) =>
        Data(source).AsSpan(offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    public void Copy(IDeviceBuffer source, int sourceOffset, IDeviceBuffer destination, int destinationOffset, int length) =>
        Data(source).AsSpan(sourceOffset, length).CopyTo(Data(destination).AsSpan(destinationOffset, length));

    /// <inheritdoc />
    public void Embed(IDeviceWeight table, ReadOnlySpan<int> tokens, IDeviceBuffer output)
    {
        var tensor = Tensor(table);
        var outputs = Data(output);
        for (int r = 0; r < tokens.Length; r++)
        {
            int token = tokens[r];
            if ((uint)token >= (uint)tensor.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {tensor.Rows}");
            }
            RowDecoder.Decode(tensor.Type, tensor.Row(token), outputs.AsSpan(r * tensor.Columns, tensor.Columns));
        }
    }

    /// <inheritdoc />
    public void RmsNorm(IDeviceBuffer input, IDeviceWeight weight, IDeviceBuffer output, int rows, float epsilon)
    {
        int dim = weight.Columns;
        var gain = DecodeAll(weight);
        var x = Data(input);
        var y = Data(output);
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * dim, dim);
            double sumOfSquares = 0;
            foreach (float v in row)
            {
                sumOfSquares += (double)v * v;
            }
            double inverseRms = 1.0 / Math.Sqrt(sumOfSquares / dim + epsilon);
            for (int i = 0; i < dim; i++)
            {
                y[r * dim + i] = (float)(row[i] * inverseRms * gain[i]);
            }
        }
    }

    /// <inheritdoc />
    public void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows)
    {
        var tensor = Tensor(weight);
        int inputs = tensor.Columns;
        int outputs = tensor.Rows;
        var x = Data(input);
        var y = Data(output);
        float[] decoded = ArrayPool<float>.Shared.Rent(inputs);
        try
        {
            var w = decoded.AsSpan(0, inputs);
            for (int o = 0; o < outputs; o++)
            {
                RowDecoder.Decode(tensor.Type, tensor.Row(o), w);
                for (int r = 0; r < rows; r++)
                {
                    var xr = x.AsSpan(r * inputs, inputs);
                    double sum = 0;
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += (double)w[i] * xr[i];
                    }
                    y[r * outputs + o] = (float)sum;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(decoded);
        }
    }

    /// <inheritdoc />
    public void AddBias(IDeviceBuffer x, IDeviceWeight bias, int rows)
    {
        int width = bias.Columns;
        var b = DecodeAll(bias);
        var values = Data(x);
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < width; i++)
            {
                values[r * width + i] += b[i];
            }
        }
    }

    /// <inheritdoc />
    public void Rope(IDeviceBuffer x, int rows, int heads, int headDim, int startPosition, float theta, RopeStyle style)
    {
        var values = Data(x);
        int half = headDim / 2;
        for (int r = 0; r < rows; r++)
        {
            int position = startPosition + r;
            for (int h = 0; h < heads; h++)
            {
                int head = (r * heads + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = position * Math.Pow(theta, -2.0 * i / headDim);
                    double cos = Math.Cos(angle), sin = Math.Sin(angle);
                    (int a, int b) = style == RopeStyle.AdjacentPairs ? (head + 2 * i, head + 2 * i + 1) : (head + i, head + i + half);
                    double x0 = values[a], x1 = values[b];
                    values[a] = (float)(x0 * cos - x1 * sin);
                    values[b] = (float)(x0 * sin + x1 * cos);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Attention(IDeviceBuffer query, IDeviceBuffer keyCache, IDeviceBuffer valueCache, IDeviceBuffer output, AttentionShape shape)
    {
        shape.Validate();
        var q = Data(query);
        var k = Data(keyCache);
        var v = Data(valueCache);
        var o = Data(output);
        int dim = shape.HeadDim;
        int group = shape.Heads / shape.KvHeads;
        double scale = 1.0 / Math.Sqrt(dim);
        var scores = new double[shape.StartPosition + shape.Rows];
        for (int r = 0; r < shape.Rows; r++)
        {
            int last = shape.StartPosition + r;
            for (int h = 0; h < shape.Heads; h++)
            {
                int qOffset = r * shape.QueryWidth + h * dim;
                int kvOffset = h / group * dim;
                double max = double.NegativeInfinity;
                for (int t = 0; t <= last; t++)
                {
                    double dot = 0;
                    for (int i = 0; i < dim; i++)
                    {
                        dot += (double)q[qOffset + i] * k[t * shape.KvWidth + kvOffset + i];
                    }
                    scores[t] = dot * scale;
                    max = Math.Max(max, scores[t]);
                }
                double total = 0;
                for (int t = 0; t <= last; t++)
                {
                    scores[t] = Math.Exp(scores[t] - max);
                    total += scores[t];
                }
                for (int i = 0; i < dim; i++)
                {
                    double sum = 0;
                    for (int t = 0; t <= last; t++)
                    {
                        sum += scores[t] * v[t * shape.KvWidth + kvOffset + i];
                    }
                    o[qOffset + i] = (float)(sum / total);
                }
            }
        }
    }

    /// <inheritdoc />
    public void SwiGlu(IDeviceBuffer gate, IDeviceBuffer up, IDeviceBuffer output, int length)
    {
        var g = Data(gate);
        var u = Data(up);
        var y = Data(output);
        for (int i = 0; i < length; i++)
        {
            double x = g[i];
            y[i] = (float)(x / (1.0 + Math.Exp(-x)) * u[i]);
        }
    }

    /// <inheritdoc />
    public void Add(IDeviceBuffer x, IDeviceBuffer addend, int length)
    {
        var a = Data(x);
        var b = Data(addend);
        for (int i = 0; i < length; i++)
        {
            a[i] += b[i];
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static float[] Data(IDeviceBuffer buffer) =>
        buffer is ReferenceBuffer own ? own.Data : throw new ArgumentException("buffer belongs to another backend");

    private static HostTensor Tensor(IDeviceWeight weight) =>
        weight is ReferenceWeight own ? own.Tensor : throw new ArgumentException("weight belongs to another backend");

    private static float[] DecodeAll(IDeviceWeight weight) => RowDecoder.DecodeAll(Tensor(weight));
}
