using QuantRuntime.Kernels.Backends;

namespace QuantRuntime.Inference;

/// <summary>One transformer block's weights placed on a backend.</summary>
internal sealed record DeviceBlock(
    IDeviceWeight AttentionNorm,
    IDeviceWeight Query,
    IDeviceWeight Key,
    IDeviceWeight Value,
    IDeviceWeight AttentionOutput,
    IDeviceWeight FeedForwardNorm,
    IDeviceWeight Gate,
    IDeviceWeight Up,
    IDeviceWeight Down,
    IDeviceWeight? QueryBias,
    IDeviceWeight? KeyBias,
    IDeviceWeight? ValueBias) : IDisposable
{
    public void Dispose()
    {
        foreach (var weight in new[] { AttentionNorm, Query, Key, Value, AttentionOutput, FeedForwardNorm, Gate, Up, Down, QueryBias, KeyBias, ValueBias })
        {
            weight?.Dispose();
        }
    }
}
