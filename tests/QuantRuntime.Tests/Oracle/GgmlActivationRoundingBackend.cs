using System.Buffers.Binary;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Tests.Oracle;

/// <summary>
/// The reference backend with llama.cpp's CPU rounding of activations. Before multiplying with
/// quantized weights, ggml quantizes each activation row to its "vec_dot type": Q8_0 (Q8_0 and
/// Q4_0 weights: fp16 scale amax/127, levels rounded half-to-even against 127/amax), Q8_1 (Q4_1
/// weights: the same plus an fp16 block sum that multiplies the weight minimum) or Q8_K
/// (K-quants: blocks of 256, float scale max/−127). This backend applies exactly that rounding,
/// so what remains of a difference to llama.cpp is ours to explain.
/// </summary>
public sealed class GgmlActivationRoundingBackend() : ComputeBackendDecorator(new ReferenceBackend())
{
    private readonly Dictionary<IDeviceWeight, HostTensor> _tensors = new(ReferenceEqualityComparer.Instance);

    public override IDeviceWeight Upload(HostTensor tensor)
    {
        var weight = Inner.Upload(tensor);
        _tensors[weight] = tensor;
        return weight;
    }

    public override void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows)
    {
        int length = rows * weight.Columns;
        var values = new float[length];
        Inner.Read(input, 0, values);
        switch (weight.Type)
        {
            case TensorType.Q8_0 or TensorType.Q4_0:
                for (int b = 0; b < length / 32; b++)
                {
                    RoundQ8(values.AsSpan(b * 32, 32), out _, out _);
                }
                break;
            case TensorType.Q4_1:
                Inner.Write(MultiplyQ4_1(_tensors[weight], values, rows), output);
                return;
            case TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K:
                for (int b = 0; b < length / 256; b++)
                {
                    RoundQ8K(values.AsSpan(b * 256, 256));
                }
                break;
        }
        using var rounded = Inner.Allocate(length);
        Inner.Write(values, rounded);
        Inner.MatMul(weight, rounded, output, rows);
    }

    /// <summary>ggml-cpu's quantize_row_q8_0/q8_1 on one block, in place: returns the fp16 scale and the fp16 sum d·Σq.</summary>
    private static void RoundQ8(Span<float> x, out float scale, out float sum)
    {
        float amax = 0;
        foreach (float v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }
        float d = amax / 127f;
        float id = amax != 0 ? 127f / amax : 0f;
        scale = (float)(Half)d;
        int total = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int q = (int)MathF.Round(x[i] * id, MidpointRounding.ToEven);
            total += q;
            x[i] = scale * q;
        }
        sum = (float)(Half)(d * total);
    }

    /// <summary>ggml's quantize_row_q8_K on one block of 256, in place (float scale, nearest_int rounds half to even).</summary>
    private static void RoundQ8K(Span<float> x)
    {
        float max = 0, amax = 0;
        foreach (float v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        if (amax == 0)
        {
            x.Clear();
            return;
        }
        float iscale = -127f / max;
        float d = 1 / iscale;
        for (int i = 0; i < x.Length; i++)
        {
            int q = Math.Min(127, (int)MathF.Round(iscale * x[i], MidpointRounding.ToEven));
            x[i] = d * q;
        }
    }

    /// <summary>ggml's vec_dot_q4_1_q8_1: per block d_w·d_a·Σ q_w q_a + m_w·s_a, with s_a the fp16 block sum.</summary>
    private static float[] MultiplyQ4_1(HostTensor weight, float[] activations, int rows)
    {
        int columns = weight.Columns, blocks = columns / 32;
        var output = new float[rows * weight.Rows];
        var row = activations.AsSpan();
        var scales = new float[rows * blocks];
        var sums = new float[rows * blocks];
        for (int b = 0; b < rows * blocks; b++)
        {
            RoundQ8(row.Slice(b * 32, 32), out scales[b], out sums[b]);
        }
        for (int o = 0; o < weight.Rows; o++)
        {
            var w = weight.Row(o);
            for (int r = 0; r < rows; r++)
            {
                double total = 0;
                for (int b = 0; b < blocks; b++)
                {
                    var block = w.Slice(b * Q4_1Block.Bytes, Q4_1Block.Bytes);
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                    float m = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
                    int dot = 0;
                    for (int j = 0; j < 16; j++)
                    {
                        float da = scales[r * blocks + b];
                        // Levels of the activation: value / scale is an integer by construction.
                        int low = da == 0 ? 0 : (int)MathF.Round(row[r * columns + b * 32 + j] / da);
                        int high = da == 0 ? 0 : (int)MathF.Round(row[r * columns + b * 32 + j + 16] / da);
                        dot += (block[4 + j] & 0x0F) * low + (block[4 + j] >> 4) * high;
                    }
                    total += d * scales[r * blocks + b] * dot + m * sums[r * blocks + b];
                }
                output[r * weight.Rows + o] = (float)total;
            }
        }
        return output;
    }
}
