using System.Collections.Concurrent;
using System.Reflection;
using ILGPU.Backends.EntryPoints;
using ILGPU.Runtime;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// Compiles and loads kernels for one accelerator on first use and keeps their launchers. Every
/// kernel is explicitly grouped (it reads its group and grid indices itself) and goes through
/// one path, where the PoCL source patch is applied when the plan asks for it.
/// </summary>
internal sealed class KernelSet : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly KernelPlan _plan;
    private readonly ConcurrentDictionary<MethodInfo, Lazy<Delegate>> _launchers = new();
    private readonly ConcurrentBag<Kernel> _kernels = new();

    public KernelSet(Accelerator accelerator, KernelPlan plan)
    {
        _accelerator = accelerator;
        _plan = plan;
    }

    /// <summary>The launcher of <paramref name="method"/>, compiling it the first time.</summary>
    public TLauncher Get<TLauncher>(MethodInfo method) where TLauncher : Delegate =>
        (TLauncher)_launchers.GetOrAdd(method, m => new Lazy<Delegate>(() => Load<TLauncher>(m))).Value;

    private TLauncher Load<TLauncher>(MethodInfo method) where TLauncher : Delegate
    {
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = _accelerator.CompileKernel(entry);
        if (_plan.PatchForPocl)
        {
            PoclCompatibility.Patch(compiled);
        }
        var kernel = _accelerator.LoadKernel(compiled);
        _kernels.Add(kernel);
        return kernel.CreateLauncherDelegate<TLauncher>();
    }

    public void Dispose()
    {
        foreach (var kernel in _kernels)
        {
            kernel.Dispose();
        }
    }
}
