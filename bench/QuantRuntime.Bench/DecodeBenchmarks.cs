using BenchmarkDotNet.Attributes;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Numerics;

namespace QuantRuntime.Bench;

/// <summary>Row decoding throughput of each block format (the reference codecs).</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private const int Columns = 4096;
    private HostTensor _tensor = null!;
    private float[] _row = null!;

    /// <summary>The storage type decoded.</summary>
    [Params(TensorType.F16, TensorType.Q8_0, TensorType.Q4_0)]
    public TensorType Type { get; set; }

    /// <summary>Builds one random row in the benchmarked type.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new SeededRandom(1);
        var bytes = new byte[TensorTypeInfo.Of(Type).ByteCount(Columns)];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.NextInt(256);
        }
        // Keep fp16 scales finite: random bytes may spell NaN or infinity.
        int blockBytes = TensorTypeInfo.Of(Type).BlockBytes;
        for (int b = 0; b < bytes.Length; b += blockBytes)
        {
            bytes[b + 1] &= 0x3B;
        }
        _tensor = new HostTensor(Type, 1, Columns, bytes);
        _row = new float[Columns];
    }

    /// <summary>Decodes the row to float32.</summary>
    [Benchmark]
    public void DecodeRow() => RowDecoder.Decode(_tensor.Type, _tensor.Row(0), _row);
}
