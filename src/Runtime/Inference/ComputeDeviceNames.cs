namespace QuantRuntime.Inference;

/// <summary>The command-line spelling of each <see cref="ComputeDevice"/>.</summary>
public static class ComputeDeviceNames
{
    private static readonly (string Name, ComputeDevice Device)[] Names =
    [
        ("auto", ComputeDevice.Auto),
        ("cpu", ComputeDevice.Cpu),
        ("reference", ComputeDevice.Reference),
        ("cuda", ComputeDevice.Cuda),
        ("opencl", ComputeDevice.OpenCL),
        ("ilgpu-cpu", ComputeDevice.IlgpuCpu),
    ];

    /// <summary>All names, for help text: <c>auto|cpu|reference|cuda|opencl|ilgpu-cpu</c>.</summary>
    public static string All => string.Join('|', Names.Select(n => n.Name));

    /// <summary>Parses a device name (case-insensitive).</summary>
    public static bool TryParse(string? text, out ComputeDevice device)
    {
        foreach (var (name, value) in Names)
        {
            if (string.Equals(name, text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                device = value;
                return true;
            }
        }
        device = default;
        return false;
    }

    /// <summary>The name of <paramref name="device"/>.</summary>
    public static string NameOf(ComputeDevice device) => Names.First(n => n.Device == device).Name;
}
