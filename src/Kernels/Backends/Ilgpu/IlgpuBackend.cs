using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using QuantRuntime.Kernels.Backends.Ilgpu.Kernels;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// Runs every operator of the forward pass as ILGPU kernels on one accelerator: CUDA (PTX),
/// OpenCL (including PoCL on a CPU) or ILGPU's CPU emulator. Weights are uploaded once as their
/// raw encoded bytes and decoded in registers; activations and the KV cache are device buffers,
/// so a forward pass copies nothing back except what <see cref="Read"/> asks for. All work is
/// queued on the accelerator's default stream in call order.
/// </summary>
public sealed class IlgpuBackend : IComputeBackend
{
    private readonly Context? _context;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly KernelSet _kernels;
    private readonly ConcurrentBag<MemoryBuffer1D<int, Stride1D.Dense>> _tokenBuffers = new();
    private bool _disposed;

    private IlgpuBackend(Context? context, Accelerator accelerator, bool pocl, IlgpuBackendOptions options)
    {
        _context = context;
        _accelerator = accelerator;
        _stream = accelerator.DefaultStream;
        Plan = KernelPlan.For(accelerator, options, pocl);
        _kernels = new KernelSet(accelerator, Plan);
        string kind = Plan.Kind switch
        {
            IlgpuDeviceKind.Cuda => "cuda",
            IlgpuDeviceKind.OpenCL => "opencl",
            _ => "cpu",
        };
        Name = Plan.Kind == IlgpuDeviceKind.Cpu ? "ilgpu-cpu" : $"ilgpu-{kind} ({accelerator.Name})";
    }

    /// <summary>Opens the <paramref name="ordinal"/>-th usable device of <paramref name="kind"/> (see <see cref="IlgpuDevices.Describe"/>).</summary>
    /// <exception cref="InvalidOperationException">No such device is visible.</exception>
    public static IlgpuBackend Create(IlgpuDeviceKind kind, int ordinal = 0, IlgpuBackendOptions? options = null)
    {
        var (context, accelerator, pocl) = IlgpuDevices.Open(kind, ordinal);
        try
        {
            return new IlgpuBackend(context, accelerator, pocl, options ?? new IlgpuBackendOptions());
        }
        catch
        {
            accelerator.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The device kind.</summary>
    public IlgpuDeviceKind Kind => Plan.Kind;

    /// <summary>The accelerator's own name.</summary>
    public string DeviceName => _accelerator.Name;

    /// <summary>Bytes of device memory.</summary>
    public long DeviceMemory => _accelerator.MemorySize;

    /// <summary>A one-line account of the kernel variants chosen for this device.</summary>
    public string Variants =>
        $"group {Plan.GroupSize}, {(Plan.WarpShuffles ? $"warp-shuffle reductions (warp {Plan.WarpSize})" : "shared-memory tree reductions")}, "
        + $"{(Plan.NativeHalf ? "native" : "integer-decoded")} fp16, {(Plan.Float64 ? "fp64" : "fp32")} RoPE, GEMV {Plan.GemvLanes} lanes/output"
        + (Plan.PatchForPocl ? ", PoCL generic-pointer patch" : "");

    internal KernelPlan Plan { get; }

    /// <inheritdoc />
    public bool Supports(TensorType type) => WeightDispatch.Supports(type);

    /// <inheritdoc />
    public IDeviceBuffer Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var memory = _accelerator.Allocate1D<float>(Math.Max(length, 1));
        memory.View.MemSetToZero(_stream);
        return new IlgpuBuffer(this, memory, length);
    }

    /// <inheritdoc />
    public IDeviceWeight Upload(HostTensor tensor)
    {
        if (!Supports(tensor.Type))
        {
            throw new NotSupportedException($"the {Name} backend cannot compute with {TensorTypeInfo.Of(tensor.Type).Name} tensors");
        }
        var bytes = tensor.Data.Span;
        if (tensor.Type == TensorType.F32)
        {
            var floats = MemoryMarshal.Cast<byte, float>(bytes);
            var memory = _accelerator.Allocate1D<float>(floats.Length);
            memory.View.CopyFromCPU(_stream, floats);
            _stream.Synchronize();
            return new IlgpuWeight(this, tensor.Type, tensor.Rows, tensor.Columns, memory, null);
        }
        var words = MemoryMarshal.Cast<byte, ushort>(bytes);
        var wordMemory = _accelerator.Allocate1D<ushort>(words.Length);
        wordMemory.View.CopyFromCPU(_stream, words);
        _stream.Synchronize();
        return new IlgpuWeight(this, tensor.Type, tensor.Rows, tensor.Columns, null, wordMemory);
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<float> source, IDeviceBuffer destination, int offset = 0)
    {
        var buffer = Own(destination);
        CheckRange(buffer, offset, source.Length, nameof(offset));
        if (source.IsEmpty)
        {
            return;
        }
        buffer.Memory.View.SubView(offset, source.Length).CopyFromCPU(_stream, source);
        _stream.Synchronize();
    }

    /// <inheritdoc />
    public void Read(IDeviceBuffer source, int offset, Span<float> destination)
    {
        var buffer = Own(source);
        CheckRange(buffer, offset, destination.Length, nameof(offset));
        if (destination.IsEmpty)
        {
            return;
        }
        buffer.Memory.View.SubView(offset, destination.Length).CopyToCPU(_stream, destination);
        _stream.Synchronize();
    }

    /// <inheritdoc />
    public void Copy(IDeviceBuffer source, int sourceOffset, IDeviceBuffer destination, int destinationOffset, int length)
    {
        var from = Own(source);
        var to = Own(destination);
        CheckRange(from, sourceOffset, length, nameof(sourceOffset));
        CheckRange(to, destinationOffset, length, nameof(destinationOffset));
        if (length == 0)
        {
            return;
        }
        from.Memory.View.SubView(sourceOffset, length).CopyTo(_stream, to.Memory.View.SubView(destinationOffset, length));
    }

    /// <inheritdoc />
    public void Embed(IDeviceWeight table, ReadOnlySpan<int> tokens, IDeviceBuffer output)
    {
        var weight = Own(table);
        var y = Own(output);
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)weight.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {weight.Rows}");
            }
        }
        int length = checked(tokens.Length * weight.Columns);
        CheckRange(y, 0, length, nameof(output));
        if (length == 0)
        {
            return;
        }
        var ids = RentTokens(tokens.Length);
        try
        {
            ids.View.SubView(0, tokens.Length).CopyFromCPU(_stream, tokens);
            _stream.Synchronize();
            var visitor = new EmbedVisitor { Backend = this, Tokens = ids.View, Output = y.View, Length = length };
            WeightDispatch.Accept(weight, Plan.NativeHalf, ref visitor);
        }
        finally
        {
            // Later uses of this buffer are queued behind the kernel on the same stream.
            _tokenBuffers.Add(ids);
        }
    }

    /// <inheritdoc />
    public void RmsNorm(IDeviceBuffer input, IDeviceWeight weight, IDeviceBuffer output, int rows, float epsilon)
    {
        var x = Own(input);
        var gain = Own(weight);
        var y = Own(output);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckRange(x, 0, checked(rows * gain.Columns), nameof(input));
        CheckRange(y, 0, rows * gain.Columns, nameof(output));
        if (rows == 0)
        {
            return;
        }
        var visitor = new RmsNormVisitor { Backend = this, Input = x.View, Output = y.View, Rows = rows, Epsilon = epsilon };
        WeightDispatch.Accept(gain, Plan.NativeHalf, ref visitor);
    }

    /// <inheritdoc />
    public void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows)
    {
        var w = Own(weight);
        var x = Own(input);
        var y = Own(output);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckRange(x, 0, checked(rows * w.Columns), nameof(input));
        CheckRange(y, 0, checked(rows * w.Rows), nameof(output));
        if (rows == 0)
        {
            return;
        }
        var visitor = new MatMulVisitor
        {
            Backend = this,
            Input = x.View,
            Output = y.View,
            Args = new MatMulArgs { Rows = rows, Outputs = w.Rows, Inputs = w.Columns, Lanes = Plan.GemvLanes },
        };
        WeightDispatch.Accept(w, Plan.NativeHalf, ref visitor);
    }

    /// <inheritdoc />
    public void AddBias(IDeviceBuffer x, IDeviceWeight bias, int rows)
    {
        var values = Own(x);
        var b = Own(bias);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int length = checked(rows * b.Columns);
        CheckRange(values, 0, length, nameof(x));
        if (length == 0)
        {
            return;
        }
        var visitor = new BiasVisitor { Backend = this, Values = values.View, Length = length };
        WeightDispatch.Accept(b, Plan.NativeHalf, ref visitor);
    }

    /// <inheritdoc />
    public void Rope(IDeviceBuffer x, int rows, int heads, int headDim, int startPosition, float theta, RopeStyle style)
    {
        var values = Own(x);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegative(startPosition);
        CheckRange(values, 0, checked(rows * heads * headDim), nameof(x));
        int pairs = rows * heads * (headDim / 2);
        if (pairs == 0)
        {
            return;
        }
        var launch = _kernels.Get<Action<AcceleratorStream, KernelConfig, ArrayView<float>, RopeArgs>>(KernelMethods.Rope(Plan));
        launch(_stream, Flat(pairs), values.View, new RopeArgs
        {
            Rows = rows,
            Heads = heads,
            HeadDim = headDim,
            StartPosition = startPosition,
            Theta = theta,
            HalfSplit = style == RopeStyle.HalfSplit ? 1 : 0,
        });
    }

    /// <inheritdoc />
    public void Attention(IDeviceBuffer query, IDeviceBuffer keyCache, IDeviceBuffer valueCache, IDeviceBuffer output, AttentionShape shape)
    {
        shape.Validate();
        if (shape.HeadDim > AttentionKernels.MaxHeadDim)
        {
            throw new NotSupportedException($"head size {shape.HeadDim} exceeds the {AttentionKernels.MaxHeadDim} the ILGPU attention kernel holds");
        }
        var q = Own(query);
        var k = Own(keyCache);
        var v = Own(valueCache);
        var o = Own(output);
        CheckRange(q, 0, checked(shape.Rows * shape.QueryWidth), nameof(query));
        CheckRange(o, 0, shape.Rows * shape.QueryWidth, nameof(output));
        int positions = checked(shape.StartPosition + shape.Rows);
        CheckRange(k, 0, checked(positions * shape.KvWidth), nameof(keyCache));
        CheckRange(v, 0, positions * shape.KvWidth, nameof(valueCache));
        var launch = _kernels.Get<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArgs>>(
            KernelMethods.Attention(Plan));
        launch(_stream, new KernelConfig(new Index2D(shape.Heads, shape.Rows), new Index2D(Plan.GroupSize, 1)),
            q.View, k.View, v.View, o.View, new AttentionArgs
            {
                StartPosition = shape.StartPosition,
                Heads = shape.Heads,
                HeadDim = shape.HeadDim,
                Group = shape.Heads / shape.KvHeads,
                QueryWidth = shape.QueryWidth,
                KvWidth = shape.KvWidth,
                Scale = shape.Scale,
            });
    }

    /// <inheritdoc />
    public void SwiGlu(IDeviceBuffer gate, IDeviceBuffer up, IDeviceBuffer output, int length)
    {
        var g = Own(gate);
        var u = Own(up);
        var y = Own(output);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        CheckRange(g, 0, length, nameof(gate));
        CheckRange(u, 0, length, nameof(up));
        CheckRange(y, 0, length, nameof(output));
        if (length == 0)
        {
            return;
        }
        var launch = _kernels.Get<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>>(KernelMethods.SwiGlu());
        launch(_stream, Flat(length), g.View, u.View, y.View, length);
    }

    /// <inheritdoc />
    public void Add(IDeviceBuffer x, IDeviceBuffer addend, int length)
    {
        var a = Own(x);
        var b = Own(addend);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        CheckRange(a, 0, length, nameof(x));
        CheckRange(b, 0, length, nameof(addend));
        if (length == 0)
        {
            return;
        }
        var launch = _kernels.Get<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int>>(KernelMethods.Add());
        launch(_stream, Flat(length), a.View, b.View, length);
    }

    /// <summary>Waits until every queued kernel and copy has finished (for timing).</summary>
    public void Synchronize() => _stream.Synchronize();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stream.Synchronize();
        _kernels.Dispose();
        while (_tokenBuffers.TryTake(out var buffer))
        {
            buffer.Dispose();
        }
        _accelerator.Dispose();
        _context?.Dispose();
    }

    private KernelConfig Flat(int elements) =>
        new(new Index2D((elements + Plan.GroupSize - 1) / Plan.GroupSize, 1), new Index2D(Plan.GroupSize, 1));

    private MemoryBuffer1D<int, Stride1D.Dense> RentTokens(int count)
    {
        if (_tokenBuffers.TryTake(out var buffer))
        {
            if (buffer.Length >= count)
            {
                return buffer;
            }
            buffer.Dispose();
        }
        return _accelerator.Allocate1D<int>(Math.Max(count, 64));
    }

    private IlgpuBuffer Own(IDeviceBuffer buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return buffer is IlgpuBuffer own && own.Owner == this ? own : throw new ArgumentException("buffer belongs to another backend");
    }

    private IlgpuWeight Own(IDeviceWeight weight)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return weight is IlgpuWeight own && own.Owner == this ? own : throw new ArgumentException("weight belongs to another backend");
    }

    private static void CheckRange(IlgpuBuffer buffer, int offset, int length, string name)
    {
        if (offset < 0 || length < 0 || (long)offset + length > buffer.Length)
        {
            throw new ArgumentOutOfRangeException(name, $"{length} floats at {offset} exceed a buffer of {buffer.Length}");
        }
    }

    private struct MatMulVisitor : IWeightsVisitor
    {
        public IlgpuBackend Backend;
        public ArrayView<float> Input, Output;
        public MatMulArgs Args;

        public readonly void Visit<TWeights>(TWeights weights) where TWeights : struct, IWeights
        {
            var plan = Backend.Plan;
            if (Args.Rows <= 2)
            {
                var gemv = Backend._kernels.Get<Action<AcceleratorStream, KernelConfig, TWeights, ArrayView<float>, ArrayView<float>, MatMulArgs>>(
                    KernelMethods.Gemv<TWeights>(plan));
                int perGroup = plan.GroupSize / Args.Lanes;
                gemv(Backend._stream, new KernelConfig(new Index2D((Args.Outputs + perGroup - 1) / perGroup, Args.Rows), new Index2D(plan.GroupSize, 1)),
                    weights, Input, Output, Args);
                return;
            }
            var gemm = Backend._kernels.Get<Action<AcceleratorStream, KernelConfig, TWeights, ArrayView<float>, ArrayView<float>, MatMulArgs>>(
                KernelMethods.Gemm<TWeights>());
            int tileRows = plan.GemmTileRows;
            var grid = new Index2D(
                (Args.Outputs + MatMulKernels.GemmTileOutputs - 1) / MatMulKernels.GemmTileOutputs,
                (Args.Rows + tileRows - 1) / tileRows);
            gemm(Backend._stream, new KernelConfig(grid, new Index2D(plan.GroupSize, 1)), weights, Input, Output, Args);
        }
    }

    private struct RmsNormVisitor : IWeightsVisitor
    {
        public IlgpuBackend Backend;
        public ArrayView<float> Input, Output;
        public int Rows;
        public float Epsilon;

        public readonly void Visit<TWeights>(TWeights weights) where TWeights : struct, IWeights
        {
            var launch = Backend._kernels.Get<Action<AcceleratorStream, KernelConfig, ArrayView<float>, TWeights, ArrayView<float>, float>>(
                KernelMethods.RmsNorm<TWeights>(Backend.Plan));
            launch(Backend._stream, new KernelConfig(new Index2D(Rows, 1), new Index2D(Backend.Plan.GroupSize, 1)), Input, weights, Output, Epsilon);
        }
    }

    private struct EmbedVisitor : IWeightsVisitor
    {
        public IlgpuBackend Backend;
        public ArrayView<int> Tokens;
        public ArrayView<float> Output;
        public int Length;

        public readonly void Visit<TWeights>(TWeights weights) where TWeights : struct, IWeights
        {
            var launch = Backend._kernels.Get<Action<AcceleratorStream, KernelConfig, TWeights, ArrayView<int>, ArrayView<float>, int>>(
                KernelMethods.Embed<TWeights>());
            launch(Backend._stream, Backend.Flat(Length), weights, Tokens, Output, Length);
        }
    }

    private struct BiasVisitor : IWeightsVisitor
    {
        public IlgpuBackend Backend;
        public ArrayView<float> Values;
        public int Length;

        public readonly void Visit<TWeights>(TWeights weights) where TWeights : struct, IWeights
        {
            var launch = Backend._kernels.Get<Action<AcceleratorStream, KernelConfig, ArrayView<float>, TWeights, int>>(
                KernelMethods.AddBias<TWeights>());
            launch(Backend._stream, Backend.Flat(Length), Values, weights, Length);
        }
    }
}
