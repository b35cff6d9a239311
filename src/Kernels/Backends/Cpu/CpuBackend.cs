using System.Runtime.Intrinsics;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// The fast CPU backend: SIMD kernels (AVX-512, AVX2/AVX-VNNI, portable Vector128, scalar; see
/// <see cref="CpuKernelLevel"/>), int8 activations (quantized exactly as llama.cpp's x86 code does)
/// against Q4_0/Q4_1/Q8_0 and the group-scaled INT4/INT8 family in integer dot products, float FMA
/// for F32/F16/BF16 weights, K-quants dequantized a row at a time, and a persistent worker pool.
/// Work is split by output rows (or attention units) and every output is computed by one thread
/// with a fixed order of operations, so results are bit-identical for any thread count, and a row
/// of a batched MatMul equals the same row computed alone. Operator calls are serialized by a lock
/// (the pool and scratch are shared), so concurrent sessions on one backend are safe but do not run
/// their operators in parallel. Steady-state calls allocate nothing.
/// <para>
/// Memory. Weights are used in place, straight from the tensor's bytes (the memory map), except
/// Q4_0- and Q8_0-layout matrices (with INT4/INT8 g32) on AVX-512: on their first matrix product
/// they are repacked into 16-row interleaved tiles of the same size (<see cref="Q4_0Interleaved"/>,
/// <see cref="Q8_0Interleaved{TV}"/>), and the mapped source pages are evicted
/// (<see cref="Tensors.IEvictableMemory"/>), so such a weight is resident once, as a copy.
/// A table that is only embedded (token embeddings) is never repacked. Besides the weights the backend holds: one-row tensors (norm gains,
/// biases) decoded to float32 (4 bytes per element of those vectors); int8 activations, about
/// 1.25 bytes per input element of the largest MatMul batch (rows × K); for F16 weights on AVX-512
/// a permuted float32 copy of the activations (4 bytes × rows × K); per worker thread a scratch of
/// the largest of: an unpacked GEMM weight tile for formats not repacked (K/64 × 320-640 bytes:
/// 56 KB at K = 5632 for INT8 asymmetric),
/// four decoded K-quant rows (16 × K bytes), attention state (group × (headDim + 66) floats); RoPE
/// tables of 8 bytes per head dimension per position, grown by doubling (1 MB for head size 64 at
/// 2048 positions). For the 0.84B benchmark model at a 128-token batch that is under 5 MB.
/// </para>
/// </summary>
public sealed unsafe class CpuBackend : IComputeBackend
{
    private const int GemvChunkRows = 16;
    private const int GemmChunkRows = 32;
    private const int ElementChunk = 16384;
    private const int GemmMinRows = 4;

    private readonly object _sync = new();
    private readonly CpuWorkerPool _pool;
    private readonly RopeTables _rope = new();
    private readonly float[]?[] _workerScratch;
    private byte[] _activations = [];
    private float[] _permuted = [];
    private readonly MatMulWork _matMul;
    private readonly QuantizeWork _quantize;
    private readonly AttentionWork _attention;
    private readonly RowWork _rowWork;
    private readonly ElementWork _elementWork;
    private bool _disposed;

    /// <summary>Creates a backend using <paramref name="threads"/> threads (0: one per logical processor).</summary>
    public CpuBackend(int threads = 0) : this(threads, CpuKernelLevels.Best)
    {
    }

    /// <summary>Creates a backend forced to <paramref name="level"/> (tests use it to exercise fallbacks).</summary>
    /// <exception cref="NotSupportedException">This machine cannot run <paramref name="level"/>.</exception>
    public CpuBackend(int threads, CpuKernelLevel level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (!CpuKernelLevels.IsSupported(level))
        {
            throw new NotSupportedException($"this machine cannot run the {level} kernels");
        }
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        Level = level;
        Simd = level == CpuKernelLevel.Avx512Vnni ? CpuKernelLevel.Avx512 : level;
        _pool = new CpuWorkerPool(Threads);
        _workerScratch = new float[Threads][];
        _matMul = new MatMulWork(this);
        _quantize = new QuantizeWork();
        _attention = new AttentionWork(this);
        _rowWork = new RowWork(this);
        _elementWork = new ElementWork(this);
    }

    /// <summary>Threads computing each operator, the caller included.</summary>
    public int Threads { get; }

    /// <summary>The instruction-set path the kernels take.</summary>
    public CpuKernelLevel Level { get; }

    /// <summary>
    /// The level that picks every kernel but the Q8_0-layout dot product: <see cref="CpuKernelLevel.Avx512Vnni"/>
    /// runs the <see cref="CpuKernelLevel.Avx512"/> kernels.
    /// </summary>
    internal CpuKernelLevel Simd { get; }

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public bool Supports(TensorType type) => TensorTypeInfo.IsKnown(type);

    /// <summary>Bytes allocated so far by the worker threads (the caller excluded), for allocation tests.</summary>
    internal long WorkerAllocatedBytes => _pool.WorkerAllocatedBytes();

    /// <summary>Whether MatMul quantizes activations to int8 for weights of <paramref name="type"/> (else it computes in float32).</summary>
    internal static bool QuantizesActivations(TensorType type) => MatMulWork.KindOf(type) == MatMulKind.Quantized;

    /// <inheritdoc />
    public IDeviceBuffer Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new CpuBuffer(length);
    }

    /// <inheritdoc />
    public IDeviceWeight Upload(HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Supports(tensor.Type))
        {
            throw new NotSupportedException($"the {Name} backend cannot compute with {TensorTypeInfo.Of(tensor.Type).Name} tensors");
        }
        var interleaving = Simd != CpuKernelLevel.Avx512 || MatMulWork.KindOf(tensor.Type) != MatMulKind.Quantized
            ? InterleavedFormat.None
            : MatMulWork.LayoutOf(tensor.Type) switch
            {
                { GroupSize: 32, Bits: 4, Asymmetric: false } => InterleavedFormat.Q4_0,
                { GroupSize: 32, Bits: 8, Asymmetric: false } => InterleavedFormat.Q8_0,
                _ => InterleavedFormat.None,
            };
        return new CpuWeight(tensor, interleaving);
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<float> source, IDeviceBuffer destination, int offset = 0) =>
        source.CopyTo(Own(destination).Span[offset..]);

    /// <inheritdoc />
    public void Read(IDeviceBuffer source, int offset, Span<float> destination) =>
        Own(source).Span.Slice(offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    public void Copy(IDeviceBuffer source, int sourceOffset, IDeviceBuffer destination, int destinationOffset, int length) =>
        Own(source).Span.Slice(sourceOffset, length).CopyTo(Own(destination).Span.Slice(destinationOffset, length));

    /// <inheritdoc />
    public void Embed(IDeviceWeight table, ReadOnlySpan<int> tokens, IDeviceBuffer output)
    {
        var w = Own(table);
        var outputs = Own(output).Span;
        Check(outputs.Length >= (long)tokens.Length * w.Columns, "output buffer too small for the embeddings");
        for (int r = 0; r < tokens.Length; r++)
        {
            int token = tokens[r];
            if ((uint)token >= (uint)w.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {w.Rows}");
            }
            var row = new ReadOnlySpan<byte>(w.Base + (long)token * w.RowBytes, w.RowBytes);
            RowDecoder.Decode(w.Type, row, outputs.Slice(r * w.Columns, w.Columns));
        }
    }

    /// <inheritdoc />
    public void RmsNorm(IDeviceBuffer input, IDeviceWeight weight, IDeviceBuffer output, int rows, float epsilon)
    {
        var w = Own(weight);
        var x = Own(input);
        var y = Own(output);
        int dim = w.Columns;
        Check(x.Length >= (long)rows * dim && y.Length >= (long)rows * dim, "buffers too small for RMSNorm");
        var gain = w.GetVector();
        lock (_sync)
        {
            fixed (float* g = gain)
            {
                _rowWork.Set(RowOp.RmsNorm, x.Pointer, y.Pointer, g, dim, epsilon);
                RunRows(_rowWork, rows, dim);
            }
        }
    }

    /// <inheritdoc />
    public void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows)
    {
        var w = Own(weight);
        var x = Own(input);
        var y = Own(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        Check(x.Length >= (long)rows * w.Columns, "input buffer too small for the matmul");
        Check(y.Length >= (long)rows * w.Rows, "output buffer too small for the matmul");
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var kind = MatMulWork.KindOf(w.Type);
            byte* act = null;
            int actStride = 0;
            if (kind == MatMulKind.Quantized)
            {
                actStride = QuantizedActivations.RowBytes(w.Columns);
                long needed = (long)actStride * rows + 64;
                if (_activations.Length < needed)
                {
                    _activations = GC.AllocateUninitializedArray<byte>(checked((int)needed), pinned: true);
                }
                fixed (byte* a = _activations)
                {
                    act = (byte*)(((nint)a + 63) & ~(nint)63);
                }
                _quantize.Set(x.Pointer, w.Columns, act, actStride, Simd == CpuKernelLevel.Avx512);
                if (rows == 1)
                {
                    _quantize.Run(0, 0);
                }
                else
                {
                    _pool.Execute(_quantize, rows);
                }
            }
            float* permuted = null;
            if (w.Type == TensorType.F16 && Simd == CpuKernelLevel.Avx512)
            {
                // The F16 kernel reads activations in its unpacking order (see FloatMatMul.TileF16Avx512).
                long needed = (long)rows * w.Columns + 16;
                if (_permuted.Length < needed)
                {
                    _permuted = GC.AllocateUninitializedArray<float>(checked((int)needed), pinned: true);
                }
                fixed (float* pp = _permuted)
                {
                    permuted = (float*)(((nint)pp + 63) & ~(nint)63);
                }
                for (int r = 0; r < rows; r++)
                {
                    FloatMatMul.PermuteForF16(x.Pointer + (long)r * w.Columns, permuted + (long)r * w.Columns, w.Columns);
                }
            }
            byte* packed = w.Interleaving != InterleavedFormat.None ? w.GetPacked() : null;
            if (kind == MatMulKind.Decoded)
            {
                EnsureScratch(4 * w.Columns);
            }
            else if (kind == MatMulKind.Quantized && Simd == CpuKernelLevel.Avx512 && rows >= GemmMinRows && packed == null)
            {
                // Only the unrepacked GEMM unpacks tiles into the scratch; repacked tiles are read in place.
                EnsureScratch(QuantizedActivations.Pairs(w.Columns) * MatMulWork.UnpackedPairBytes(w.Type) / sizeof(float) + 16);
            }
            // About eight chunks per thread (enough to even out a slow thread), whole tiles of 4, or of
            // 16 for repacked weights. Chunking never changes a result: every output row is computed
            // the same way in any tile.
            int tile = packed != null ? InterleavedTile.Rows : 4;
            int chunkRows = rows == 1
                ? Math.Clamp((w.Rows / (Threads * 8) + tile - 1) & ~(tile - 1), GemvChunkRows, 256)
                : GemmChunkRows;
            _matMul.Set(w, kind, x.Pointer, y.Pointer, rows, act, actStride, chunkRows, permuted, packed);
            _pool.Execute(_matMul, (w.Rows + chunkRows - 1) / chunkRows);
            GC.KeepAlive(_activations);
            GC.KeepAlive(_permuted);
        }
    }

    /// <inheritdoc />
    public void AddBias(IDeviceBuffer x, IDeviceWeight bias, int rows)
    {
        var w = Own(bias);
        var values = Own(x);
        int width = w.Columns;
        Check(values.Length >= (long)rows * width, "buffer too small for the bias");
        var b = w.GetVector();
        lock (_sync)
        {
            fixed (float* bp = b)
            {
                _rowWork.Set(RowOp.AddBias, values.Pointer, values.Pointer, bp, width, 0f);
                RunRows(_rowWork, rows, width);
            }
        }
    }

    /// <inheritdoc />
    public void Rope(IDeviceBuffer x, int rows, int heads, int headDim, int startPosition, float theta, RopeStyle style)
    {
        var values = Own(x);
        ArgumentOutOfRangeException.ThrowIfNegative(startPosition);
        Check(headDim > 0 && heads > 0 && values.Length >= (long)rows * heads * headDim, "buffer too small for RoPE");
        var table = _rope.Get(headDim, theta, style, startPosition + rows);
        lock (_sync)
        {
            fixed (float* c = table.Cos, s = table.Sin)
            {
                _rowWork.SetRope(values.Pointer, heads, headDim, startPosition, c, s, style);
                RunRows(_rowWork, rows, heads * headDim);
            }
        }
    }

    /// <inheritdoc />
    public void Attention(IDeviceBuffer query, IDeviceBuffer keyCache, IDeviceBuffer valueCache, IDeviceBuffer output, AttentionShape shape)
    {
        shape.Validate();
        var q = Own(query);
        var k = Own(keyCache);
        var v = Own(valueCache);
        var o = Own(output);
        long positions = (long)shape.StartPosition + shape.Rows;
        Check(q.Length >= (long)shape.Rows * shape.QueryWidth && o.Length >= (long)shape.Rows * shape.QueryWidth,
            "query or output buffer too small for the attention");
        Check(k.Length >= positions * shape.KvWidth && v.Length >= positions * shape.KvWidth, "KV cache too small for the attention");
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EnsureScratch(AttentionKernel.ScratchFloats(shape.Heads / shape.KvHeads, shape.HeadDim));
            _attention.Set(q.Pointer, k.Pointer, v.Pointer, o.Pointer, shape);
            _pool.Execute(_attention, shape.Rows * shape.KvHeads);
        }
    }

    /// <inheritdoc />
    public void SwiGlu(IDeviceBuffer gate, IDeviceBuffer up, IDeviceBuffer output, int length)
    {
        var g = Own(gate);
        var u = Own(up);
        var y = Own(output);
        Check(g.Length >= length && u.Length >= length && y.Length >= length, "buffers too small for SwiGLU");
        lock (_sync)
        {
            _elementWork.Set(ElementOp.SwiGlu, g.Pointer, u.Pointer, y.Pointer, length);
            RunElements(length);
        }
    }

    /// <inheritdoc />
    public void Add(IDeviceBuffer x, IDeviceBuffer addend, int length)
    {
        var a = Own(x);
        var b = Own(addend);
        Check(a.Length >= length && b.Length >= length, "buffers too small for the addition");
        lock (_sync)
        {
            _elementWork.Set(ElementOp.Add, a.Pointer, b.Pointer, a.Pointer, length);
            RunElements(length);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _pool.Dispose();
        }
    }

    private void RunRows(RowWork work, int rows, int width)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows <= 1 || (long)rows * width < ElementChunk)
        {
            for (int r = 0; r < rows; r++)
            {
                work.Run(r, 0);
            }
        }
        else
        {
            _pool.Execute(work, rows);
        }
    }

    private void RunElements(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int chunks = (length + ElementChunk - 1) / ElementChunk;
        if (chunks <= 1)
        {
            _elementWork.Run(0, 0);
        }
        else
        {
            _pool.Execute(_elementWork, chunks);
        }
    }

    /// <summary>
    /// Makes every worker's scratch hold at least <paramref name="floats"/> floats. Called on the
    /// dispatching thread before a dispatch, so scratch grows when a larger shape first appears and
    /// never later because a worker happens to meet a shape for the first time.
    /// </summary>
    private void EnsureScratch(int floats)
    {
        for (int worker = 0; worker < _workerScratch.Length; worker++)
        {
            var scratch = _workerScratch[worker];
            if (scratch is null || scratch.Length < floats + 16)
            {
                _workerScratch[worker] = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            }
        }
    }

    /// <summary>Worker <paramref name="worker"/>'s scratch (see <see cref="EnsureScratch"/>), 64-byte aligned.</summary>
    private float* Scratch(int worker)
    {
        fixed (float* p = _workerScratch[worker])
        {
            return (float*)(((nint)p + 63) & ~(nint)63);
        }
    }

    private static CpuBuffer Own(IDeviceBuffer buffer) =>
        buffer as CpuBuffer ?? throw new ArgumentException("buffer belongs to another backend");

    private static CpuWeight Own(IDeviceWeight weight) =>
        weight as CpuWeight ?? throw new ArgumentException("weight belongs to another backend");

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }

    // ------------------------------------------------------------------ work items

    private enum MatMulKind { Quantized, Float, Decoded }

    private sealed class QuantizeWork : IParallelWork
    {
        private float* _x;
        private int _k;
        private byte* _act;
        private int _stride;
        private bool _wide;

        public void Set(float* x, int k, byte* act, int stride, bool wide)
        {
            _x = x;
            _k = k;
            _act = act;
            _stride = stride;
            _wide = wide;
        }

        public void Run(int chunk, int worker) =>
            QuantizedActivations.QuantizeRow(_x + (long)chunk * _k, _k, _act + (long)chunk * _stride, _wide);
    }

    private sealed class MatMulWork(CpuBackend owner) : IParallelWork
    {
        private CpuWeight _w = null!;
        private MatMulKind _kind;
        private float* _x;
        private float* _y;
        private int _rows;
        private byte* _act;
        private int _actStride;
        private int _chunkRows;

        public static MatMulKind KindOf(TensorType type) => type switch
        {
            TensorType.Q4_0 or TensorType.Q4_1 or TensorType.Q8_0 => MatMulKind.Quantized,
            TensorType.F32 or TensorType.F16 or TensorType.BF16 => MatMulKind.Float,
            _ => GroupScaledLayout.TryGet(type, out _) ? MatMulKind.Quantized : MatMulKind.Decoded,
        };

        /// <summary>Bytes per pair of blocks of an unpacked GEMM tile of <paramref name="type"/>.</summary>
        public static int UnpackedPairBytes(TensorType type)
        {
            var layout = LayoutOf(type);
            return 5 * 64 + (layout.Asymmetric ? 64 : 0) + (layout.Bits == 8 ? 4 * 64 : 0);
        }

        /// <summary>The integer-kernel geometry of a quantized type.</summary>
        public static QuantLayout LayoutOf(TensorType type) => type switch
        {
            TensorType.Q4_0 => new QuantLayout(32, 18, 4, false),
            TensorType.Q4_1 => new QuantLayout(32, 20, 4, true),
            TensorType.Q8_0 => new QuantLayout(32, 34, 8, false),
            _ when GroupScaledLayout.TryGet(type, out var g) => new QuantLayout(g.GroupSize, g.GroupBytes, g.Bits, g.Asymmetric),
            _ => throw new NotSupportedException($"{type} has no integer kernel"),
        };

        private float* _permuted;

        private byte* _packed;

        public void Set(CpuWeight w, MatMulKind kind, float* x, float* y, int rows, byte* act, int actStride, int chunkRows, float* permuted, byte* packed)
        {
            _permuted = permuted;
            _packed = packed;
            _w = w;
            _kind = kind;
            _x = x;
            _y = y;
            _rows = rows;
            _act = act;
            _actStride = actStride;
            _chunkRows = chunkRows;
        }

        public void Run(int chunk, int worker)
        {
            int o0 = chunk * _chunkRows;
            int o1 = Math.Min(_w.Rows, o0 + _chunkRows);
            switch (_kind)
            {
                case MatMulKind.Quantized:
                    var layout = LayoutOf(_w.Type);
                    switch (layout)
                    {
                        case { GroupSize: 32, Bits: 4, Asymmetric: false }: Quantized<Q4_0Format>(o0, o1, layout, worker); break;
                        case { GroupSize: 32, Bits: 4, Asymmetric: true }: Quantized<Q4_1Format>(o0, o1, layout, worker); break;
                        case { GroupSize: 32, Bits: 8, Asymmetric: false }: Quantized<Q8_0Format>(o0, o1, layout, worker); break;
                        case { GroupSize: 32, Bits: 8, Asymmetric: true }: Quantized<Int8AsymG32Format>(o0, o1, layout, worker); break;
                        case { Bits: 4, Asymmetric: false }: Quantized<Int4GroupsFormat>(o0, o1, layout, worker); break;
                        case { Bits: 4, Asymmetric: true }: Quantized<Int4AsymGroupsFormat>(o0, o1, layout, worker); break;
                        case { Bits: 8, Asymmetric: false }: Quantized<Int8GroupsFormat>(o0, o1, layout, worker); break;
                        default: Quantized<Int8AsymGroupsFormat>(o0, o1, layout, worker); break;
                    }
                    break;
                case MatMulKind.Float:
                    switch (_w.Type)
                    {
                        case TensorType.F32: Float<F32Row>(_w.Base, _w.RowBytes, o0, o1, o0); break;
                        case TensorType.F16: Float<F16Row>(_w.Base, _w.RowBytes, o0, o1, o0); break;
                        default: Float<BF16Row>(_w.Base, _w.RowBytes, o0, o1, o0); break;
                    }
                    break;
                default:
                    Decoded(o0, o1, worker);
                    break;
            }
        }

        /// <summary>
        /// Repacked weights (<see cref="IInterleavedKernel"/>), stored K-panel by K-panel
        /// (<see cref="InterleavedTile.Address"/>). A decode GEMV sweeps the chunk's tiles panel by
        /// panel, one sequential run per panel, carrying each tile's accumulators; a batch takes each
        /// tile and group of up to 8 activation rows through the panels in turn. Either way every
        /// output accumulates its blocks in order, so both give the same bits.
        /// </summary>
        [System.Runtime.CompilerServices.SkipLocalsInit] // a carry is written by a tile's first pass before any pass reads it
        private void Interleaved<TK>(int o0, int o1, int blocks) where TK : struct, IInterleavedKernel
        {
            int n = _w.Rows;
            int tiles = (n + InterleavedTile.Rows - 1) / InterleavedTile.Rows;
            int pairs = QuantizedActivations.Pairs(_w.Columns);
            int t0 = o0 / InterleavedTile.Rows;
            int t1 = (o1 + InterleavedTile.Rows - 1) / InterleavedTile.Rows;
            // A GEMV chunk is at most 256 rows (16 tiles), one carry of 16 floats per tile; a batch
            // needs one per activation row of a group (8).
            float* carry = stackalloc float[16 * InterleavedTile.Rows];
            if (_rows == 1)
            {
                // The carries live on the stack: a larger chunk (see MatMul's chunk size) would overrun them.
                if (t1 - t0 > InterleavedTile.Rows)
                {
                    throw new InvalidOperationException($"a decode chunk of {t1 - t0} tiles exceeds the {InterleavedTile.Rows} the carries hold");
                }
                for (int first = 0; first < blocks; first += InterleavedTile.PanelBlocks)
                {
                    int count = Math.Min(InterleavedTile.PanelBlocks, blocks - first);
                    for (int t = t0; t < t1; t++)
                    {
                        byte* run = InterleavedTile.Address(_packed, tiles, blocks, TK.TileBlockBytes, t, first);
                        // The stream goes on with the next tile of this panel, or the first of the next.
                        byte* next = t + 1 < t1 ? run + (long)count * TK.TileBlockBytes
                            : first + count < blocks ? InterleavedTile.Address(_packed, tiles, blocks, TK.TileBlockBytes, t0, first + count) : null;
                        int o = t * InterleavedTile.Rows;
                        TK.Tile<C1>(run, blocks, first, count, _act, _actStride, pairs, carry + (t - t0) * InterleavedTile.Rows, next,
                            _y + o, n, Math.Min(InterleavedTile.Rows, o1 - o));
                    }
                }
                return;
            }
            for (int t = t0; t < t1; t++)
            {
                int o = t * InterleavedTile.Rows;
                int valid = Math.Min(InterleavedTile.Rows, o1 - o);
                byte* act = _act;
                float* y = _y + o;
                for (int left = _rows; left > 0; left -= 8, act += 8L * _actStride, y += 8L * n)
                {
                    for (int first = 0; first < blocks; first += InterleavedTile.PanelBlocks)
                    {
                        int count = Math.Min(InterleavedTile.PanelBlocks, blocks - first);
                        byte* run = InterleavedTile.Address(_packed, tiles, blocks, TK.TileBlockBytes, t, first);
                        switch (Math.Min(left, 8))
                        {
                            case 8: TK.Tile<C8>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            case 7: TK.Tile<C7>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            case 6: TK.Tile<C6>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            case 5: TK.Tile<C5>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            case 4: TK.Tile<C4>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            case 3: TK.Tile<C3>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            case 2: TK.Tile<C2>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                            default: TK.Tile<C1>(run, blocks, first, count, act, _actStride, pairs, carry, null, y, n, valid); break;
                        }
                    }
                }
            }
        }

        private void Quantized<TW>(int o0, int o1, QuantLayout layout, int worker) where TW : struct, IQuantFormat
        {
            int k = _w.Columns;
            int n = _w.Rows;
            int blocks = k / 32;
            byte* b = _w.Base;
            int rowBytes = _w.RowBytes;
            byte* end = b + (long)n * rowBytes;
            if (_packed != null)
            {
                switch (_w.Interleaving)
                {
                    case InterleavedFormat.Q4_0: Interleaved<Q4_0Interleaved>(o0, o1, blocks); break;
                    case InterleavedFormat.Q8_0 when owner.Level == CpuKernelLevel.Avx512Vnni: Interleaved<Q8_0Interleaved<C1>>(o0, o1, blocks); break;
                    default: Interleaved<Q8_0Interleaved<C0>>(o0, o1, blocks); break;
                }
                return;
            }
            switch (owner.Simd)
            {
                case CpuKernelLevel.Avx512 when _rows >= GemmMinRows:
                {
                    // GEMM: each tile of 4 weight rows is unpacked once into the worker's scratch, then
                    // met by every activation row, 4 at a time (weights reused from L1/L2, activations
                    // from L2). Same per-output arithmetic as the GEMV tile below.
                    byte* tile = (byte*)owner.Scratch(worker);
                    for (int o = o0; o < o1; o += 4)
                    {
                        int valid = Math.Min(4, o1 - o);
                        byte* r0 = b + (long)o * rowBytes;
                        byte* r1 = valid > 1 ? r0 + rowBytes : r0;
                        byte* r2 = valid > 2 ? r0 + 2L * rowBytes : r0;
                        byte* r3 = valid > 3 ? r0 + 3L * rowBytes : r0;
                        QuantMatMul.UnpackTileAvx512<TW>(r0, r1, r2, r3, blocks, layout.GroupSize, layout.GroupBytes, end, tile, r0 + 4L * rowBytes, 4 * rowBytes);
                        int a = 0;
                        for (; a + 4 <= _rows; a += 4)
                        {
                            QuantMatMul.MicroAvx512<TW, C4>(tile, valid, blocks, _act + (long)a * _actStride, _actStride, _y + (long)a * n + o, n);
                        }
                        switch (_rows - a)
                        {
                            case 3: QuantMatMul.MicroAvx512<TW, C3>(tile, valid, blocks, _act + (long)a * _actStride, _actStride, _y + (long)a * n + o, n); break;
                            case 2: QuantMatMul.MicroAvx512<TW, C2>(tile, valid, blocks, _act + (long)a * _actStride, _actStride, _y + (long)a * n + o, n); break;
                            case 1: QuantMatMul.MicroAvx512<TW, C1>(tile, valid, blocks, _act + (long)a * _actStride, _actStride, _y + (long)a * n + o, n); break;
                        }
                    }
                    break;
                }
                case CpuKernelLevel.Avx512:
                    // Few activation rows: tiles of 4 weight rows read straight from the tensor against
                    // 1 or 2 activation rows at a time.
                    for (int o = o0; o < o1; o += 4)
                    {
                        int valid = Math.Min(4, o1 - o);
                        byte* r0 = b + (long)o * rowBytes;
                        byte* r1 = valid > 1 ? r0 + rowBytes : r0;
                        byte* r2 = valid > 2 ? r0 + 2L * rowBytes : r0;
                        byte* r3 = valid > 3 ? r0 + 3L * rowBytes : r0;
                        // The first activation tile prefetches the next weight tile (4 rows on).
                        byte* next = r0 + 4L * rowBytes;
                        int nextBytes = 4 * rowBytes;
                        int a = 0;
                        for (; a + 2 <= _rows; a += 2, nextBytes = 0)
                        {
                            QuantMatMul.TileAvx512<TW, C2>(r0, r1, r2, r3, valid, blocks, layout.GroupSize, layout.GroupBytes, end, _act + (long)a * _actStride, _actStride, _y + (long)a * n + o, n, next, nextBytes);
                        }
                        if (a < _rows)
                        {
                            QuantMatMul.TileAvx512<TW, C1>(r0, r1, r2, r3, valid, blocks, layout.GroupSize, layout.GroupBytes, end, _act + (long)a * _actStride, _actStride, _y + (long)a * n + o, n, next, nextBytes);
                        }
                    }
                    break;
                case CpuKernelLevel.Avx2:
                case CpuKernelLevel.AvxVnni:
                    bool vnni = owner.Simd == CpuKernelLevel.AvxVnni;
                    for (int o = o0; o < o1; o++)
                    {
                        for (int a = 0; a < _rows; a++)
                        {
                            _y[(long)a * n + o] = QuantMatMul.DotAvx2(b + (long)o * rowBytes, layout, blocks, _act + (long)a * _actStride, vnni);
                        }
                    }
                    break;
                default:
                    bool vector = owner.Simd == CpuKernelLevel.Vector128;
                    for (int o = o0; o < o1; o++)
                    {
                        for (int a = 0; a < _rows; a++)
                        {
                            _y[(long)a * n + o] = QuantMatMul.DotPortable(b + (long)o * rowBytes, layout, blocks, _act + (long)a * _actStride, vector);
                        }
                    }
                    break;
            }
        }

        /// <summary>Rows [o0, o1) of float weights at <paramref name="b"/>, whose row o0 is output row <paramref name="outRow"/>.</summary>
        private void Float<TF>(byte* b, int rowBytes, int o0, int o1, int outRow) where TF : struct, IFloatRow
        {
            switch (owner.Simd)
            {
                case CpuKernelLevel.Avx512: FloatRows<Vector512<float>, V512, TF>(b, rowBytes, o0, o1, outRow); break;
                case CpuKernelLevel.Avx2:
                case CpuKernelLevel.AvxVnni: FloatRows<Vector256<float>, V256, TF>(b, rowBytes, o0, o1, outRow); break;
                case CpuKernelLevel.Vector128: FloatRows<Vector128<float>, V128, TF>(b, rowBytes, o0, o1, outRow); break;
                default: FloatRows<float, S1, TF>(b, rowBytes, o0, o1, outRow); break;
            }
        }

        private void FloatRows<TV, TO, TF>(byte* b, int rowBytes, int o0, int o1, int outRow)
            where TV : struct where TO : struct, IVec<TV> where TF : struct, IFloatRow
        {
            int k = _w.Columns;
            int n = _w.Rows;
            for (int o = o0; o < o1; o += 4)
            {
                int valid = Math.Min(4, o1 - o);
                byte* r0 = b + (long)(o - o0) * rowBytes + (long)o0 * rowBytes;
                byte* r1 = valid > 1 ? r0 + rowBytes : r0;
                byte* r2 = valid > 2 ? r0 + 2L * rowBytes : r0;
                byte* r3 = valid > 3 ? r0 + 3L * rowBytes : r0;
                float* y = _y + outRow + (o - o0);
                // The first activation tile prefetches the next weight tile (4 rows on).
                byte* next = r0 + 4L * rowBytes;
                int nextBytes = 4 * rowBytes;
                int a = 0;
                if (typeof(TF) == typeof(F16Row) && typeof(TV) == typeof(Vector512<float>) && _permuted != null)
                {
                    for (; a + 4 <= _rows; a += 4, nextBytes = 0)
                    {
                        FloatMatMul.TileF16Avx512<C4>(r0, r1, r2, r3, valid, k, _x + (long)a * k, _permuted + (long)a * k, y + (long)a * n, n, next, nextBytes);
                    }
                    switch (_rows - a)
                    {
                        case 3: FloatMatMul.TileF16Avx512<C3>(r0, r1, r2, r3, valid, k, _x + (long)a * k, _permuted + (long)a * k, y + (long)a * n, n, next, nextBytes); break;
                        case 2: FloatMatMul.TileF16Avx512<C2>(r0, r1, r2, r3, valid, k, _x + (long)a * k, _permuted + (long)a * k, y + (long)a * n, n, next, nextBytes); break;
                        case 1: FloatMatMul.TileF16Avx512<C1>(r0, r1, r2, r3, valid, k, _x + (long)a * k, _permuted + (long)a * k, y + (long)a * n, n, next, nextBytes); break;
                    }
                    continue;
                }
                for (; a + 4 <= _rows; a += 4, nextBytes = 0)
                {
                    FloatMatMul.Tile<TV, TO, TF, C4>(r0, r1, r2, r3, valid, k, _x + (long)a * k, y + (long)a * n, n, next, nextBytes);
                }
                switch (_rows - a)
                {
                    case 3: FloatMatMul.Tile<TV, TO, TF, C3>(r0, r1, r2, r3, valid, k, _x + (long)a * k, y + (long)a * n, n, next, nextBytes); break;
                    case 2: FloatMatMul.Tile<TV, TO, TF, C2>(r0, r1, r2, r3, valid, k, _x + (long)a * k, y + (long)a * n, n, next, nextBytes); break;
                    case 1: FloatMatMul.Tile<TV, TO, TF, C1>(r0, r1, r2, r3, valid, k, _x + (long)a * k, y + (long)a * n, n, next, nextBytes); break;
                }
            }
        }

        /// <summary>Other types: four rows at a time decoded to float32 in the worker's scratch, then the F32 kernel.</summary>
        private void Decoded(int o0, int o1, int worker)
        {
            int k = _w.Columns;
            int rowBytes = _w.RowBytes;
            float* scratch = owner.Scratch(worker);
            for (int o = o0; o < o1; o += 4)
            {
                int valid = Math.Min(4, o1 - o);
                for (int i = 0; i < valid; i++)
                {
                    var source = new ReadOnlySpan<byte>(_w.Base + (long)(o + i) * rowBytes, rowBytes);
                    RowDecoder.Decode(_w.Type, source, new Span<float>(scratch + (long)i * k, k));
                }
                Float<F32Row>((byte*)scratch - (long)o * k * 4, k * 4, o, o + valid, o);
            }
        }
    }

    private enum RowOp { RmsNorm, AddBias, Rope }

    private sealed class RowWork(CpuBackend owner) : IParallelWork
    {
        private RowOp _op;
        private float* _x;
        private float* _y;
        private float* _g;
        private int _width;
        private float _epsilon;
        private int _heads;
        private int _headDim;
        private int _start;
        private float* _cos;
        private float* _sin;
        private RopeStyle _style;

        public void Set(RowOp op, float* x, float* y, float* g, int width, float epsilon)
        {
            _op = op;
            _x = x;
            _y = y;
            _g = g;
            _width = width;
            _epsilon = epsilon;
        }

        public void SetRope(float* x, int heads, int headDim, int start, float* cos, float* sin, RopeStyle style)
        {
            _op = RowOp.Rope;
            _x = x;
            _heads = heads;
            _headDim = headDim;
            _width = heads * headDim;
            _start = start;
            _cos = cos;
            _sin = sin;
            _style = style;
        }

        public void Run(int chunk, int worker)
        {
            switch (owner.Simd)
            {
                case CpuKernelLevel.Avx512: Row<Vector512<float>, V512>(chunk); break;
                case CpuKernelLevel.Avx2:
                case CpuKernelLevel.AvxVnni: Row<Vector256<float>, V256>(chunk); break;
                case CpuKernelLevel.Vector128: Row<Vector128<float>, V128>(chunk); break;
                default: Row<float, S1>(chunk); break;
            }
        }

        private void Row<TV, TO>(int r) where TV : struct where TO : struct, IVec<TV>
        {
            long offset = (long)r * _width;
            switch (_op)
            {
                case RowOp.RmsNorm:
                    ElementwiseKernels.RmsNormRow<TV, TO>(_x + offset, _g, _y + offset, _width, _epsilon);
                    break;
                case RowOp.AddBias:
                    ElementwiseKernels.Add<TV, TO>(_x + offset, _g, _width);
                    break;
                default:
                    long position = (long)(_start + r) * _headDim;
                    ElementwiseKernels.RopeRow<TV, TO>(_x + offset, _heads, _headDim, _cos + position, _sin + position, _style);
                    break;
            }
        }
    }

    private enum ElementOp { Add, SwiGlu }

    private sealed class ElementWork(CpuBackend owner) : IParallelWork
    {
        private ElementOp _op;
        private float* _a;
        private float* _b;
        private float* _y;
        private int _length;

        public void Set(ElementOp op, float* a, float* b, float* y, int length)
        {
            _op = op;
            _a = a;
            _b = b;
            _y = y;
            _length = length;
        }

        public void Run(int chunk, int worker)
        {
            switch (owner.Simd)
            {
                case CpuKernelLevel.Avx512: Range<Vector512<float>, V512>(chunk); break;
                case CpuKernelLevel.Avx2:
                case CpuKernelLevel.AvxVnni: Range<Vector256<float>, V256>(chunk); break;
                case CpuKernelLevel.Vector128: Range<Vector128<float>, V128>(chunk); break;
                default: Range<float, S1>(chunk); break;
            }
        }

        private void Range<TV, TO>(int chunk) where TV : struct where TO : struct, IVec<TV>
        {
            int start = chunk * ElementChunk;
            int n = Math.Min(ElementChunk, _length - start);
            if (_op == ElementOp.Add)
            {
                ElementwiseKernels.Add<TV, TO>(_a + start, _b + start, n);
            }
            else
            {
                ElementwiseKernels.SwiGlu<TV, TO>(_a + start, _b + start, _y + start, n);
            }
        }
    }

    private sealed class AttentionWork(CpuBackend owner) : IParallelWork
    {
        private float* _q;
        private float* _k;
        private float* _v;
        private float* _o;
        private AttentionShape _shape;

        public void Set(float* q, float* k, float* v, float* o, AttentionShape shape)
        {
            _q = q;
            _k = k;
            _v = v;
            _o = o;
            _shape = shape;
        }

        public void Run(int chunk, int worker)
        {
            int row = chunk / _shape.KvHeads;
            int kvHead = chunk % _shape.KvHeads;
            int group = _shape.Heads / _shape.KvHeads;
            float* scratch = owner.Scratch(worker);
            int dim = _shape.HeadDim;
            // The widest vector that fits a head: head size 8 runs in 256-bit lanes even on AVX-512.
            switch (owner.Simd)
            {
                case CpuKernelLevel.Avx512 when dim >= 16:
                    AttentionKernel.Run<Vector512<float>, V512>(_q, _k, _v, _o, _shape, row, kvHead, scratch);
                    break;
                case CpuKernelLevel.Avx512 or CpuKernelLevel.Avx2 or CpuKernelLevel.AvxVnni when dim >= 8:
                    AttentionKernel.Run<Vector256<float>, V256>(_q, _k, _v, _o, _shape, row, kvHead, scratch);
                    break;
                case not CpuKernelLevel.Scalar when dim >= 4:
                    AttentionKernel.Run<Vector128<float>, V128>(_q, _k, _v, _o, _shape, row, kvHead, scratch);
                    break;
                default:
                    AttentionKernel.Run<float, S1>(_q, _k, _v, _o, _shape, row, kvHead, scratch);
                    break;
            }
        }
    }
}
