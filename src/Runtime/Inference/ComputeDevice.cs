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
}
