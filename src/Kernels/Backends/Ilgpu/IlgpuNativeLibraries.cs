using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// Lets ILGPU find the CUDA driver and the OpenCL loader by their versioned sonames. ILGPU 1.5.3
/// imports <c>cuda</c> and <c>OpenCL</c>, which .NET resolves to the unversioned
/// <c>libcuda.so</c> / <c>libOpenCL.so</c>: development symlinks that a driver-only machine (a GPU
/// container, CI with just pocl-opencl-icd) may lack, while <c>libcuda.so.1</c> and
/// <c>libOpenCL.so.1</c> are always there. The resolver tries the unversioned name first, then
/// the versioned one, and otherwise leaves loading to .NET.
/// </summary>
internal static class IlgpuNativeLibraries
{
    private static int _registered;

    /// <summary>Installs the resolver for ILGPU's assembly once; keeps any resolver already installed.</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0)
        {
            return;
        }
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Someone else installed a resolver for ILGPU: theirs stays in charge.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return IntPtr.Zero;
        }
        string[] candidates = name switch
        {
            "cuda" => ["libcuda.so", "libcuda.so.1"],
            "OpenCL" or "opencl" => ["libOpenCL.so", "libOpenCL.so.1"],
            _ => [],
        };
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }
        return IntPtr.Zero;
    }
}
