using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Which instruction-set path the <see cref="CpuBackend"/> kernels take. Every level computes the
/// same operators; lower levels exist so the backend runs on any x64 or ARM64 and so that tests can
/// force each fallback on a machine that has a better one.
/// </summary>
public enum CpuKernelLevel
{
    /// <summary>Plain scalar loops (any CPU).</summary>
    Scalar = 0,

    /// <summary>Portable <see cref="Vector128{T}"/> code (SSE on x64, NEON on ARM64).</summary>
    Vector128 = 1,

    /// <summary><see cref="Vector256{T}"/> floats and AVX2 integer dot products (vpmaddubsw + vpmaddwd).</summary>
    Avx2 = 2,

    /// <summary>As <see cref="Avx2"/> with AVX-VNNI (vpdpbusd) for the integer dot products.</summary>
    AvxVnni = 3,

    /// <summary><see cref="Vector512{T}"/> floats and AVX-512 BW/VBMI integer dot products (GFNI for nibble shifts; every CPU with VBMI but one generation has it).</summary>
    Avx512 = 4,

    /// <summary>
    /// As <see cref="Avx512"/>, with AVX-VNNI (256-bit vpdpbusd) for Q8_0-layout weights; .NET exposes
    /// no 512-bit VNNI class, so this is what a CPU with AVX512_VNNI (and the VEX form) offers it.
    /// </summary>
    Avx512Vnni = 5,
}

/// <summary>Detection of the best <see cref="CpuKernelLevel"/> this process may use.</summary>
public static class CpuKernelLevels
{
    /// <summary>The fastest level the hardware and runtime support.</summary>
    public static CpuKernelLevel Best { get; } = Detect();

    /// <summary>Whether <paramref name="level"/> can run on this machine.</summary>
    public static bool IsSupported(CpuKernelLevel level) => level switch
    {
        CpuKernelLevel.Scalar => true,
        CpuKernelLevel.Vector128 => true,
        CpuKernelLevel.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuKernelLevel.AvxVnni => Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported,
        CpuKernelLevel.Avx512 => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512Vbmi.IsSupported
            && Gfni.V512.IsSupported && Vector512.IsHardwareAccelerated,
        CpuKernelLevel.Avx512Vnni => IsSupported(CpuKernelLevel.Avx512) && AvxVnni.IsSupported,
        _ => false,
    };

    private static CpuKernelLevel Detect()
    {
        for (var level = CpuKernelLevel.Avx512Vnni; level > CpuKernelLevel.Scalar; level--)
        {
            if (IsSupported(level) && (level != CpuKernelLevel.Vector128 || Vector128.IsHardwareAccelerated))
            {
                return level;
            }
        }
        return CpuKernelLevel.Scalar;
    }
}
