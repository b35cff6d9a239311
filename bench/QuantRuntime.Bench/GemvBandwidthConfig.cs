using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace QuantRuntime.Bench;

/// <summary>
/// A short job (each operation streams hundreds of MiB, so a few iterations settle) with the
/// bandwidth columns, the read and GEMV of one parameter set side by side.
/// </summary>
public sealed class GemvBandwidthConfig : ManualConfig
{
    /// <summary>Adds the job and the columns to BenchmarkDotNet's defaults.</summary>
    public GemvBandwidthConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15));
        AddColumn(new GemvBandwidthColumns.GigabytesPerSecond(), new GemvBandwidthColumns.GigaflopsPerSecond(), new GemvBandwidthColumns.PercentOfRead());
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}
