namespace QuantRuntime.Inference;

/// <summary>Where the forward pass runs.</summary>
public enum ComputeDevice
{
    /// <summary>The best available: a CUDA GPU if present, else the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The scalar reference operators: slow, the executable specification.</summary>
    Reference,

    /// <summary>An NVIDIA GPU through CUDA (ILGPU kernels).</summary>
    Cuda,

    /// <summary>An OpenCL device, PoCL on a CPU included (ILGPU kernels).</summary>
    OpenCL,

    /// <summary>ILGPU's CPU accelerator, a GPU emulator: the ILGPU kernels, slowly, for tests (<c>--device ilgpu-cpu</c>).</summary>
    IlgpuCpu,
}
