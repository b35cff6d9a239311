using System.Buffers.Binary;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Backends.Reference;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>Seeded tensors and activations for comparing <see cref="CpuBackend"/> with <see cref="ReferenceBackend"/>.</summary>
internal static class CpuTestData
{
    /// <summary>float32 unit roundoff.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>Every kernel level this machine can run (the fallbacks are forced through the constructor).</summary>
    public static IEnumerable<CpuKernelLevel> Levels => Enum.GetValues<CpuKernelLevel>().Where(CpuKernelLevels.IsSupported);

    public static TheoryData<CpuKernelLevel> LevelData()
    {
        var data = new TheoryData<CpuKernelLevel>();
        foreach (var level in Levels)
        {
            data.Add(level);
        }
        return data;
    }

    /// <summary>Activations: mostly N(0, 1), with occasional outliers of magnitude up to 20 (as residual streams have).</summary>
    public static float[] Activations(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double g = Gaussian(random);
            values[i] = (float)(random.Next(50) == 0 ? g * 20 : g);
        }
        return values;
    }

    /// <summary>
    /// A seeded weight matrix of <paramref name="type"/>. Float types encode N(0, 0.1) values; block
    /// types are random bytes (every nibble and int8, including -128) under random fp16 scales of
    /// either sign, so the kernels see every encodable pattern, not just what an encoder emits.
    /// </summary>
    public static HostTensor Weights(TensorType type, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var info = TensorTypeInfo.Of(type);
        if (type is TensorType.F32 or TensorType.F16 or TensorType.BF16)
        {
            var values = new float[rows * columns];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(Gaussian(random) * 0.1);
            }
            var bytes = new byte[info.ByteCount(columns) * rows];
            int rowBytes = (int)info.ByteCount(columns);
            for (int r = 0; r < rows; r++)
            {
                RowEncoder.Encode(type, values.AsSpan(r * columns, columns), bytes.AsSpan(r * rowBytes, rowBytes));
            }
            return new HostTensor(type, rows, columns, bytes);
        }
        var raw = new byte[info.ByteCount(columns) * rows];
        random.NextBytes(raw);
        int blocks = raw.Length / info.BlockBytes;
        for (int b = 0; b < blocks; b++)
        {
            var block = raw.AsSpan(b * info.BlockBytes, info.BlockBytes);
            foreach (int offset in HalfOffsets(type))
            {
                int at = offset < 0 ? info.BlockBytes + offset : offset;
                BinaryPrimitives.WriteHalfLittleEndian(block[at..], (Half)((random.NextDouble() * 2 - 1) * 0.02));
            }
        }
        return new HostTensor(type, rows, columns, raw);
    }

    /// <summary>Where a block stores fp16 scales (negative: from the block's end).</summary>
    private static int[] HalfOffsets(TensorType type)
    {
        if (GroupScaledLayout.TryGet(type, out var layout))
        {
            return layout.Asymmetric ? [0, 2] : [0];
        }
        return type switch
        {
            TensorType.Q4_0 or TensorType.Q8_0 => [0],
            TensorType.Q4_1 or TensorType.Q4_K or TensorType.Q5_K => [0, 2],
            TensorType.Q6_K => [-2],
            _ => throw new NotSupportedException(type.ToString()),
        };
    }

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Uploads, writes inputs, runs, reads back.</summary>
    public static float[] Run(IComputeBackend backend, int outputLength, float[][] inputs, Action<IDeviceBuffer[], IDeviceBuffer> op)
    {
        var buffers = inputs.Select(values =>
        {
            var buffer = backend.Allocate(values.Length);
            backend.Write(values, buffer);
            return buffer;
        }).ToArray();
        using var output = backend.Allocate(outputLength);
        op(buffers, output);
        var result = new float[outputLength];
        backend.Read(output, 0, result);
        foreach (var buffer in buffers)
        {
            buffer.Dispose();
        }
        return result;
    }

    /// <summary>Runs a MatMul of <paramref name="rows"/> activation rows.</summary>
    public static float[] MatMul(IComputeBackend backend, HostTensor tensor, float[] x, int rows)
    {
        using var w = backend.Upload(tensor);
        return Run(backend, rows * tensor.Rows, [x], (inputs, output) => backend.MatMul(w, inputs[0], output, rows));
    }
}
