using System.Runtime.Intrinsics;
using QuantRuntime.Kernels.Backends.Cpu;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>The integer fp16 widening the kernels use is exact for all 65,536 halves at every vector width.</summary>
public sealed unsafe class CpuConversionTests
{
    private static void Check(string name, float[] wide)
    {
        for (int i = 0; i < 65536; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            bool same = float.IsNaN(expected) ? float.IsNaN(wide[i]) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(wide[i]);
            Assert.True(same, $"{name}: half 0x{i:X4} widened to {wide[i]}, expected {expected}");
        }
    }

    [Fact]
    public void HalfWidening_IsExactForEveryBitPattern()
    {
        var halves = new ushort[65536 + 16];
        for (int i = 0; i < 65536; i++)
        {
            halves[i] = (ushort)i;
        }
        var wide = new float[65536];
        fixed (ushort* h = halves)
        fixed (float* f = wide)
        {
            for (int i = 0; i < 65536; i++) f[i] = S1.LoadHalf(h + i);
            Check("scalar", wide);
            for (int i = 0; i < 65536; i += 4) V128.Store(f + i, V128.LoadHalf(h + i));
            Check("Vector128", wide);
            if (Vector256.IsHardwareAccelerated)
            {
                for (int i = 0; i < 65536; i += 8) V256.Store(f + i, V256.LoadHalf(h + i));
                Check("Vector256", wide);
            }
            if (Vector512.IsHardwareAccelerated)
            {
                for (int i = 0; i < 65536; i += 16) V512.Store(f + i, V512.LoadHalf(h + i));
                Check("Vector512", wide);
            }
        }
    }
}
