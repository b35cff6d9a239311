using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends.Ilgpu;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Tests.Kernels.Ilgpu;

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuDevicesTests
{
    [Fact]
    public void Describe_ListsTheCpuAcceleratorAndExplainsMissingKinds()
    {
        var listing = IlgpuDevices.Describe();
        var cpu = Assert.Single(listing.Devices, d => d.Kind == IlgpuDeviceKind.Cpu);
        Assert.True(cpu.Usable);
        Assert.Equal(0, cpu.Ordinal);
        foreach (var kind in new[] { IlgpuDeviceKind.Cuda, IlgpuDeviceKind.OpenCL })
        {
            // Either devices of the kind are listed (each usable with an ordinal, or skipped with a
            // reason), or a note says what would make one visible.
            var of = listing.Devices.Where(d => d.Kind == kind).ToList();
            Assert.True(of.Count > 0 || listing.Notes.Any(n => n.StartsWith(kind.ToString(), StringComparison.OrdinalIgnoreCase)), $"{kind}: nothing listed, no note");
            Assert.All(of, d => Assert.True(d.Usable == d.Ordinal.HasValue && (d.Usable || !string.IsNullOrEmpty(d.SkipReason))));
        }
    }

    [OpenClFact]
    public void OpenCL_PoclIsUsableThroughTheCompatibilityPatch()
    {
        var device = IlgpuDevices.Describe().Devices.First(d => d.Kind == IlgpuDeviceKind.OpenCL && d.Usable);
        var backend = IlgpuTestDevices.Get("opencl");
        Assert.StartsWith("ilgpu-opencl", backend.Name);
        // PoCL has neither fp16 nor sub-groups: the backend must have chosen the fallbacks.
        if (device.Details.Contains("PoCL", StringComparison.Ordinal))
        {
            Assert.False(backend.Plan.WarpShuffles);
            Assert.False(backend.Plan.NativeHalf);
            Assert.True(backend.Plan.PatchForPocl);
        }
    }

    [Fact]
    public void Plans_FollowCapabilitiesAndOptions()
    {
        var cpu = IlgpuTestDevices.Get("cpu").Plan;
        Assert.True(cpu.WarpShuffles);
        Assert.True(cpu.NativeHalf);
        Assert.Equal(cpu.WarpSize, cpu.GemvLanes);
        var fallback = IlgpuTestDevices.Get("cpu-fallback").Plan;
        Assert.False(fallback.WarpShuffles);
        Assert.False(fallback.NativeHalf);
        Assert.False(fallback.Float64);
        Assert.Contains("tree reductions", IlgpuTestDevices.Get("cpu-fallback").Variants);
        Assert.Throws<NotSupportedException>(() => IlgpuBackend.Create(IlgpuDeviceKind.Cpu, options: new IlgpuBackendOptions { GroupSize = 24 }));
    }

    [Fact]
    public void BackendFactory_CreatesIlgpuBackends()
    {
        using var backend = BackendFactory.Create(ComputeDevice.IlgpuCpu);
        Assert.Equal("ilgpu-cpu", backend.Name);
        Assert.True(backend.Supports(TensorType.Q4_0));
        Assert.True(backend.Supports(TensorType.Int4G128Asym));
        Assert.False(backend.Supports(TensorType.Q4_K));
        Assert.Throws<NotSupportedException>(() => backend.Upload(new HostTensor(TensorType.Q4_K, 1, 256, new byte[144])));
        if (!IlgpuDevices.IsAvailable(IlgpuDeviceKind.Cuda))
        {
            Assert.Throws<InvalidOperationException>(() => BackendFactory.Create(ComputeDevice.Cuda));
        }
    }
}
