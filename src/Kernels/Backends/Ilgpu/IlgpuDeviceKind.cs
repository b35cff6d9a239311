namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>The kinds of ILGPU accelerator the backend runs on.</summary>
public enum IlgpuDeviceKind
{
    /// <summary>ILGPU's CPU accelerator: a debugging emulator of a GPU (slow; for tests).</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through the CUDA driver (kernels compiled to PTX).</summary>
    Cuda,

    /// <summary>An OpenCL device (kernels compiled to OpenCL C), including PoCL on a CPU.</summary>
    OpenCL,
}
