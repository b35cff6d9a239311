using System.Runtime.CompilerServices;
using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

/// <summary>
/// Widens an IEEE binary16 value given as its raw bits. Kernels are generic over the decoder so
/// each accelerator gets the variant its capabilities allow, chosen once when the kernel is loaded.
/// </summary>
internal interface IHalfDecoder
{
    /// <summary>The binary32 value of the binary16 <paramref name="bits"/> (exact: every half is a float).</summary>
    float ToFloat(ushort bits);
}

/// <summary>
/// Uses the device's fp16 conversion (PTX <c>cvt.f32.f16</c>, OpenCL <c>half</c> with cl_khr_fp16).
/// Only for accelerators that report fp16 support.
/// </summary>
internal readonly struct NativeHalf : IHalfDecoder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToFloat(ushort bits) => Interop.IntAsFloat(bits);
}

/// <summary>
/// Decodes binary16 with integer operations only, for devices without fp16 (PoCL): the
/// exponent is rebiased from 15 to 127 and the mantissa widened; subnormals are mantissa·2^-24
/// (exact in binary32), infinities and NaNs keep their payload.
/// </summary>
internal readonly struct SoftHalf : IHalfDecoder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToFloat(ushort bits)
    {
        uint h = bits;
        uint sign = (h & 0x8000u) << 16;
        uint exponent = (h >> 10) & 0x1Fu;
        uint mantissa = h & 0x3FFu;
        if (exponent == 0)
        {
            // Zero or subnormal: mantissa * 2^-24, exact because mantissa < 2^11.
            float magnitude = mantissa * 5.9604644775390625e-8f;
            return Interop.IntAsFloat(Interop.FloatAsInt(magnitude) | sign);
        }
        uint widened = exponent == 31
            ? sign | 0x7F800000u | (mantissa << 13)
            : sign | ((exponent + 112u) << 23) | (mantissa << 13);
        return Interop.IntAsFloat(widened);
    }
}
