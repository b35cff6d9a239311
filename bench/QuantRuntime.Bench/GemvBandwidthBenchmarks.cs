using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Numerics;

namespace QuantRuntime.Bench;

/// <summary>
/// The CPU backend's decode GEMV against the memory wall, in one run: a plain SIMD read of a buffer
/// as large as the weights sets the machine's read bandwidth, then the Q4_0 (and Q8_0) 4096x4096
/// GEMV of <see cref="CpuBackend"/> runs over distinct matrices in turn, so
/// every weight byte comes from DRAM rather than cache. The GB/s, GFLOP/s and "% of read" columns
/// (<see cref="GemvBandwidthColumns"/>) turn the mean times into those figures; the goal is
/// Q4_0 at 80% of the read bandwidth or more.
/// </summary>
[Config(typeof(GemvBandwidthConfig))]
public unsafe class GemvBandwidthBenchmarks
{
    /// <summary>
    /// Weights per operation, 28 x 4096 x 4096: 264 MiB of Q4_0 (504 MiB of Q8_0), far beyond any
    /// last-level cache, so a matrix is evicted long before it comes round again.
    /// </summary>
    public const long Weights = 28L * 4096 * 4096;

    /// <summary>Distinct square matrices of side <paramref name="size"/> per operation.</summary>
    public static int CopiesOf(int size) => (int)(Weights / ((long)size * size));

    private CpuBackend _backend = null!;
    private IDeviceWeight[] _weights = null!;
    private IDeviceBuffer _input = null!;
    private IDeviceBuffer _output = null!;
    private byte* _buffer;
    private long _bufferBytes;

    /// <summary>The matrix side: 4096 (a 7B model's attention projection) and 2048 (the 0.84B benchmark model's).</summary>
    [Params(4096, 2048)]
    public int Size { get; set; }

    /// <summary>Worker threads for both the read and the GEMV (the CLI's <c>-t</c>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The weight format of the GEMV.</summary>
    [Params(TensorType.Q4_0, TensorType.Q8_0)]
    public TensorType Type { get; set; }

    /// <summary>Bytes one operation reads: the weights of all copies (the read benchmark reads as many).</summary>
    public static long BytesPerOperation(TensorType type, int size) => (long)CopiesOf(size) * size * TensorTypeInfo.Of(type).ByteCount(size);

    /// <summary>Builds the random matrices (finite fp16 scales), the activation vector and the read buffer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend(Threads);
        var random = new SeededRandom(3);
        var info = TensorTypeInfo.Of(Type);
        _weights = new IDeviceWeight[CopiesOf(Size)];
        for (int c = 0; c < _weights.Length; c++)
        {
            var bytes = new byte[(long)Size * info.ByteCount(Size)];
            foreach (ref ulong word in MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan()))
            {
                word = random.NextUInt64();
            }
            // Each block starts with its fp16 scale: give it a trained model's magnitude. (Random bits
            // would include subnormal scales, whose float arithmetic takes microcode assists on some
            // CPUs and would measure that rather than the kernel.)
            for (int b = 0; b < bytes.Length; b += info.BlockBytes)
            {
                BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(b), (Half)(0.002 + 0.02 * random.NextDouble()));
            }
            _weights[c] = _backend.Upload(new HostTensor(Type, Size, Size, bytes));
        }
        var x = new float[Size];
        for (int i = 0; i < Size; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
        }
        _input = _backend.Allocate(Size);
        _backend.Write(x, _input);
        _output = _backend.Allocate(Size);

        _bufferBytes = BytesPerOperation(Type, Size);
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)_bufferBytes, 64);
        for (long offset = 0; offset < _bufferBytes; offset += 1 << 30)
        {
            new Span<byte>(_buffer + offset, (int)Math.Min(1 << 30, _bufferBytes - offset)).Fill(1);
        }
    }

    /// <summary>Frees the read buffer and the backend.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_buffer);
        _input.Dispose();
        _output.Dispose();
        foreach (var w in _weights)
        {
            w.Dispose();
        }
        _backend.Dispose();
    }

    /// <summary>
    /// The yardstick: the same number of bytes read with 256-bit loads into four independent sums,
    /// split evenly over <see cref="Threads"/> threads. Nothing is computed per byte, so this is as
    /// close to the DRAM read ceiling as a .NET loop gets.
    /// </summary>
    [Benchmark(Baseline = true, Description = "read")]
    public long Read()
    {
        long total = 0;
        long slice = _bufferBytes / Threads / 128 * 128;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            long sum = SumSlice(_buffer + t * slice, slice);
            Interlocked.Add(ref total, sum);
        });
        return total;
    }

    /// <summary>One decode GEMV (a single activation row) over each of the matrices.</summary>
    [Benchmark(Description = "gemv")]
    public void Gemv()
    {
        foreach (var weight in _weights)
        {
            _backend.MatMul(weight, _input, _output, 1);
        }
    }

    private static long SumSlice(byte* p, long bytes)
    {
        var a = Vector256<long>.Zero;
        var b = Vector256<long>.Zero;
        var c = Vector256<long>.Zero;
        var d = Vector256<long>.Zero;
        for (long i = 0; i < bytes; i += 128)
        {
            a += Vector256.Load((long*)(p + i));
            b += Vector256.Load((long*)(p + i + 32));
            c += Vector256.Load((long*)(p + i + 64));
            d += Vector256.Load((long*)(p + i + 96));
        }
        return Vector256.Sum(a + b + c + d);
    }
}
