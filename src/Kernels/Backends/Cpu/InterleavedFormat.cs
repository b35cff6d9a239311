namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>Which <see cref="IInterleavedKernel"/> layout a <see cref="CpuWeight"/> is repacked into on first use.</summary>
internal enum InterleavedFormat
{
    /// <summary>Used in place, in its own layout.</summary>
    None,

    /// <summary><see cref="Q4_0Interleaved"/> (Q4_0 and INT4 g32).</summary>
    Q4_0,

    /// <summary><see cref="Q8_0Interleaved{TV}"/> (Q8_0 and INT8 g32).</summary>
    Q8_0,
}
