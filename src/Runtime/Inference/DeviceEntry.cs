namespace QuantRuntime.Inference;

/// <summary>One device as <c>quant info --devices</c> lists it.</summary>
/// <param name="Device">The <c>--device</c> value that selects it.</param>
/// <param name="Name">What it is.</param>
/// <param name="Details">Capabilities worth knowing.</param>
/// <param name="SkipReason">Why it cannot be used, or null when it can.</param>
public sealed record DeviceEntry(string Device, string Name, string Details, string? SkipReason)
{
    /// <summary>Whether the device can be used.</summary>
    public bool Usable => SkipReason is null;
}
