using System.Diagnostics;
using QuantRuntime.GpuCheck;
using QuantRuntime.Kernels.Backends.Ilgpu;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

// gpu-check: correctness of every ILGPU kernel against the scalar reference, then device copy
// bandwidth, GEMV and decode throughput, in one summary table. See bench/README.md.
var kind = IlgpuDeviceKind.Cuda;
bool quick = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--device" when i + 1 < args.Length:
            kind = args[++i] switch
            {
                "cuda" => IlgpuDeviceKind.Cuda,
                "opencl" => IlgpuDeviceKind.OpenCL,
                "ilgpu-cpu" => IlgpuDeviceKind.Cpu,
                var other => throw new ArgumentException($"unknown device '{other}' (cuda, opencl, ilgpu-cpu)"),
            };
            break;
        case "--quick":
            quick = true;
            break;
        case "--list":
            foreach (var d in IlgpuDevices.Describe().Devices)
            {
                Console.WriteLine($"{d.Kind,-7} {(d.Usable ? $"#{d.Ordinal}" : "skipped"),-8} {d.Name}: {d.SkipReason ?? d.Details}");
            }
            foreach (var note in IlgpuDevices.Describe().Notes)
            {
                Console.WriteLine(note);
            }
            return 0;
        default:
            Console.Error.WriteLine("usage: gpu-check [--device cuda|opencl|ilgpu-cpu] [--quick] [--list]");
            return 2;
    }
}

var clock = Stopwatch.StartNew();
var report = new Report();
IlgpuBackend device;
try
{
    device = IlgpuBackend.Create(kind);
}
catch (Exception e)
{
    Console.Error.WriteLine($"cannot open a {kind} device: {e.Message}");
    foreach (var d in IlgpuDevices.Describe().Devices)
    {
        Console.Error.WriteLine($"  {d.Kind} {d.Name}: {(d.Usable ? "usable" : d.SkipReason)}");
    }
    return 3;
}
using (device)
{
    Console.WriteLine($"device: {device.Name}, {device.DeviceMemory / (1L << 20)} MiB");
    Console.WriteLine($"kernels: {device.Variants}");
    // The decode models take about a minute each to generate on one core: build them on worker
    // threads while the checks and the GEMV measurements run.
    var config = quick
        ? new TransformerConfig("llama", 256, 704, 2, 8, 2, 32, 1000, 256, 1e-5f, 10000f, QuantRuntime.Kernels.Backends.RopeStyle.AdjacentPairs, false, false)
        : Measurements.BenchmarkConfig;
    var decodeTypes = new[] { TensorType.Q4_0, TensorType.Q8_0 };
    var builds = decodeTypes.ToDictionary(t => t, t => Measurements.BuildWeights(config, t));
    Console.Error.WriteLine("checking kernels against the scalar reference");
    KernelChecks.Run(device, report);
    Measurements.ForwardPass(device, report);
    Console.Error.WriteLine($"measuring ({clock.Elapsed.TotalSeconds:F0} s so far)");
    double copy = Measurements.CopyBandwidth(device, report, quick ? 16 : 1024);
    var shapes = quick ? new[] { (1024, 1024) } : new[] { (4096, 4096), (14336, 4096) };
    foreach (var type in new[] { TensorType.Q4_0, TensorType.Q8_0 })
    {
        foreach (var (outputs, inputs) in shapes)
        {
            Measurements.Gemv(device, report, type, outputs, inputs, copy);
        }
    }
    foreach (var type in decodeTypes)
    {
        if (clock.Elapsed.TotalSeconds > 240)
        {
            report.Add(new Row("decode", $"{TensorTypeInfo.Of(type).Name} tok/s", false, "skipped", "over the 5-minute budget"));
            continue;
        }
        Measurements.Decode(device, report, config, type, builds[type], copy, steps: quick ? 4 : 64);
    }
}
Console.WriteLine();
report.Print(Console.Out);
Console.WriteLine();
Console.WriteLine($"{(report.AllOk ? "PASS" : "FAIL")}: {report.Rows.Count(r => r.Ok)}/{report.Rows.Count} rows ok in {clock.Elapsed.TotalSeconds:F0} s");
return report.AllOk ? 0 : 1;
