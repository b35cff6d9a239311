using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using QuantRuntime.Kernels.Backends.Ilgpu;

namespace QuantRuntime.Tests.Kernels.Ilgpu;

/// <summary>
/// CUDA code generation without a GPU: every kernel of the CUDA plan (warp shuffles, native
/// fp16, fp64 RoPE) for every weight type, compiled to PTX for SM_80 (A100) and SM_90 (H100).
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuPtxTests
{
    public static TheoryData<string> Architectures => ["SM_80", "SM_90"];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void EveryKernel_CompilesToPtx(string name)
    {
        var architecture = name == "SM_80" ? CudaArchitecture.SM_80 : CudaArchitecture.SM_90;
        int sm = name == "SM_80" ? 80 : 90;
        using var context = Context.Create(b => b.EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_80, null);
        var kernels = KernelMethods.All(KernelPlan.Cuda);
        Assert.True(kernels.Count >= 4 + 5 * 6, $"only {kernels.Count} kernels enumerated");
        foreach (var (kernel, method) in kernels)
        {
            var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
            var compiled = Assert.IsType<PTXCompiledKernel>(backend.Compile(entry, new KernelSpecialization()));
            string ptx = compiled.PTXAssembly;
            Assert.Contains(".version 8.0", ptx);
            var target = System.Text.RegularExpressions.Regex.Match(ptx, @"\.target sm_(\d+)");
            Assert.True(target.Success, $"{kernel}: no .target in the PTX");
            Assert.InRange(int.Parse(target.Groups[1].Value), 50, sm);
            Assert.Contains(".entry " + compiled.Name, ptx);
            Assert.DoesNotContain("error", ptx, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// PTX has no float64 sin, cos or pow: ILGPU.Algorithms substitutes software routines
    /// (CORDIC), and RoPE on CUDA runs on them. They are plain .NET code, so their accuracy is
    /// measured here on the CPU by calling the implementation the PTX backend inlines. Angles up
    /// to 40 000 rad (positions up to ~40k): error ≤ 1e-8, far below float32's resolution.
    /// </summary>
    [Fact]
    public void PtxFloat64Math_IsAccurateEnoughForRope()
    {
        var ptxMath = typeof(ILGPU.Algorithms.XMath).Assembly.GetType("ILGPU.Algorithms.PTX.PTXMath")
            ?? throw new InvalidOperationException("ILGPU.Algorithms.PTX.PTXMath not found: recheck RoPE accuracy on CUDA for this ILGPU version");
        var cos = ptxMath.GetMethod("Cos", [typeof(double)])!.CreateDelegate<Func<double, double>>();
        var sin = ptxMath.GetMethod("Sin", [typeof(double)])!.CreateDelegate<Func<double, double>>();
        var pow = ptxMath.GetMethod("Pow", [typeof(double), typeof(double)])!.CreateDelegate<Func<double, double, double>>();
        var random = new Random(3);
        for (int i = 0; i < 5000; i++)
        {
            double angle = random.NextDouble() * 40000;
            Assert.InRange(cos(angle) - Math.Cos(angle), -1e-8, 1e-8);
            Assert.InRange(sin(angle) - Math.Sin(angle), -1e-8, 1e-8);
            double exponent = -2.0 * random.Next(64) / 128;
            Assert.InRange(pow(10000.0, exponent) / Math.Pow(10000.0, exponent) - 1, -1e-12, 1e-12);
        }
    }
}
