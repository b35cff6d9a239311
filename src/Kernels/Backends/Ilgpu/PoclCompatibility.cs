using System.Reflection;
using ILGPU.Backends;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.OpenCL;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// The one place where QuantRuntime bends ILGPU 1.5.3 to run on PoCL's CPU device (the OpenCL
/// implementation CI uses). Nothing else in the backend knows about PoCL.
/// <para>
/// The problem: ILGPU's OpenCL code generator declares every <c>ArrayView</c> pointer with the
/// OpenCL C 2.0 <c>__generic</c> address space and refuses devices that do not report it. PoCL 3.1
/// reports OpenCL C 1.2 for its CPU device, no generic address space, and its clang rejects
/// <c>__generic</c> under <c>-cl-std=CL2.0</c> and <c>CL3.0</c> alike; PoCL also rejects extra
/// build options such as <c>-cl-ext</c>.
/// </para>
/// <para>
/// The fix, applied only to a device that is PoCL, of CPU type, reports OpenCL C below 2.0 and
/// lacks the generic address space (so a real OpenCL 2.0 GPU, or any other device, is handled
/// exactly as ILGPU handles it):
/// </para>
/// <list type="number">
/// <item>Before the accelerator is created, the device's <c>GenericAddressSpace</c> capability is
/// set (ILGPU keeps the setter internal, hence reflection) so ILGPU accepts the device and
/// generates its usual code.</item>
/// <item>Every kernel compiled for that accelerator gets <c>#define __generic __global</c>
/// prepended to its OpenCL C source before PoCL builds it. Our kernels only ever point views at
/// global memory through those pointers (shared memory is declared <c>local</c> by ILGPU), so
/// the source means the same; were a generic pointer ever to carry a local or private address,
/// clang would reject the address-space change at build time instead of miscomputing.</item>
/// </list>
/// On PoCL's CPU device global, local and private memory are one address space, so this is
/// also what the hardware does. If ILGPU's internals change (another version), <see cref="Enable"/>
/// throws and the device is reported as skipped with the reason.
/// </summary>
internal static class PoclCompatibility
{
    private const string PoclPlatform = "Portable Computing Language";
    private const string Define = "#define __generic __global\n";

    private static readonly PropertyInfo? GenericAddressSpace =
        typeof(CLCapabilityContext).GetProperty(nameof(CLCapabilityContext.GenericAddressSpace), BindingFlags.Instance | BindingFlags.Public);

    private static readonly FieldInfo? SourceField =
        typeof(CLCompiledKernel).GetField("<Source>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Whether <paramref name="device"/> is a PoCL CPU device that needs (and gets) the workaround.</summary>
    public static bool Applies(CLDevice device) =>
        device.PlatformName.Contains(PoclPlatform, StringComparison.Ordinal)
        && (device.DeviceType & CLDeviceType.CL_DEVICE_TYPE_CPU) != 0
        && device.CVersion < CLCVersion.CL20
        && !device.Capabilities.GenericAddressSpace;

    /// <summary>Why the workaround cannot be applied with this ILGPU build, or null when it can.</summary>
    public static string? Unavailable =>
        GenericAddressSpace?.SetMethod is null || SourceField is null || SourceField.FieldType != typeof(string)
            ? "this ILGPU build's OpenCL internals differ from 1.5.3 (capability setter or kernel source field not found)"
            : null;

    /// <summary>Marks the device as having the generic address space, so ILGPU accepts it.</summary>
    /// <exception cref="InvalidOperationException">ILGPU's internals are not those of 1.5.3.</exception>
    public static void Enable(CLDevice device)
    {
        if (!Applies(device))
        {
            throw new InvalidOperationException($"{device.Name} is not a PoCL CPU device without the generic address space");
        }
        if (Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }
        GenericAddressSpace!.SetMethod!.Invoke(device.Capabilities, [true]);
    }

    /// <summary>Maps ILGPU's generic pointers to global ones in <paramref name="kernel"/>'s OpenCL C source.</summary>
    public static void Patch(CompiledKernel kernel)
    {
        if (kernel is not CLCompiledKernel cl)
        {
            throw new ArgumentException("not an OpenCL kernel", nameof(kernel));
        }
        if (Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }
        if (!cl.Source.StartsWith(Define, StringComparison.Ordinal))
        {
            SourceField!.SetValue(cl, Define + cl.Source);
        }
    }
}
