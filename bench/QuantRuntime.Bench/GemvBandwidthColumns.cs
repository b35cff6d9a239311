using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Bench;

/// <summary>
/// Columns that turn <see cref="GemvBandwidthBenchmarks"/>' mean times into bandwidth: both of its
/// benchmarks read <see cref="GemvBandwidthBenchmarks.BytesPerOperation"/> bytes per operation.
/// </summary>
public static class GemvBandwidthColumns
{
    private static TensorType TypeOf(BenchmarkCase benchmark) => (TensorType)benchmark.Parameters["Type"];

    private static int ThreadsOf(BenchmarkCase benchmark) => (int)benchmark.Parameters["Threads"];

    private static int SizeOf(BenchmarkCase benchmark) => (int)benchmark.Parameters["Size"];

    private static double? GigabytesPerSecondOf(Summary summary, BenchmarkCase benchmark)
    {
        var report = summary[benchmark];
        if (report?.ResultStatistics is not { } statistics)
        {
            return null;
        }
        return GemvBandwidthBenchmarks.BytesPerOperation(TypeOf(benchmark), SizeOf(benchmark)) / statistics.Mean; // bytes per ns = GB/s
    }

    /// <summary>Shared column plumbing: one named, numeric column per figure.</summary>
    public abstract class Column(string id, string name, string legend) : IColumn
    {
        /// <inheritdoc/>
        public string Id => id;
        /// <inheritdoc/>
        public string ColumnName => name;
        /// <inheritdoc/>
        public bool AlwaysShow => true;
        /// <inheritdoc/>
        public ColumnCategory Category => ColumnCategory.Custom;
        /// <inheritdoc/>
        public int PriorityInCategory => 0;
        /// <inheritdoc/>
        public bool IsNumeric => true;
        /// <inheritdoc/>
        public UnitType UnitType => UnitType.Dimensionless;
        /// <inheritdoc/>
        public string Legend => legend;
        /// <inheritdoc/>
        public bool IsAvailable(Summary summary) => true;
        /// <inheritdoc/>
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        /// <inheritdoc/>
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
        /// <inheritdoc/>
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => Value(summary, benchmarkCase) ?? "-";
        /// <summary>The cell's text, or null where it does not apply.</summary>
        protected abstract string? Value(Summary summary, BenchmarkCase benchmarkCase);
    }

    /// <summary>Weight (or buffer) bytes read per second.</summary>
    public sealed class GigabytesPerSecond() : Column("GBps", "GB/s", "Bytes read per second (10^9), weights for gemv, the buffer for read")
    {
        /// <inheritdoc/>
        protected override string? Value(Summary summary, BenchmarkCase benchmarkCase) => GigabytesPerSecondOf(summary, benchmarkCase)?.ToString("F1");
    }

    /// <summary>Multiply-adds of the GEMV, counted as 2 floating-point operations each.</summary>
    public sealed class GigaflopsPerSecond() : Column("GFLOPs", "GFLOP/s", "2 x weights operations per GEMV operation, per second (10^9)")
    {
        /// <inheritdoc/>
        protected override string? Value(Summary summary, BenchmarkCase benchmarkCase)
        {
            if (benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(GemvBandwidthBenchmarks.Gemv) || summary[benchmarkCase]?.ResultStatistics is not { } statistics)
            {
                return null;
            }
            double flops = 2.0 * GemvBandwidthBenchmarks.Weights;
            return (flops / statistics.Mean).ToString("F1");
        }
    }

    /// <summary>The GEMV's bytes per second over the read benchmark's, same threads and type, same run.</summary>
    public sealed class PercentOfRead() : Column("PctRead", "% of read", "GB/s as a percentage of the read benchmark's GB/s with the same parameters in this run")
    {
        /// <inheritdoc/>
        protected override string? Value(Summary summary, BenchmarkCase benchmarkCase)
        {
            var read = summary.BenchmarksCases.FirstOrDefault(b =>
                b.Descriptor.WorkloadMethod.Name == nameof(GemvBandwidthBenchmarks.Read)
                && TypeOf(b) == TypeOf(benchmarkCase) && ThreadsOf(b) == ThreadsOf(benchmarkCase) && SizeOf(b) == SizeOf(benchmarkCase));
            if (read is null || GigabytesPerSecondOf(summary, read) is not { } ceiling || GigabytesPerSecondOf(summary, benchmarkCase) is not { } speed)
            {
                return null;
            }
            return (100 * speed / ceiling).ToString("F0") + "%";
        }
    }
}
