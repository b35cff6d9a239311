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

    /// <summary>The vector e^x is within 2 ulp of float64's over the whole float range, with IEEE limits and NaN.</summary>
    [Fact]
    public void FastExp_IsWithinTwoUlp()
    {
        var random = new Random(9);
        var xs = new List<float> { 0f, -0f, 1f, -1f, 88.7f, 88.72f, 89f, 100f, -87.3f, -87.4f, -100f, -103.9f, -104f, -200f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, -1e-30f };
        for (int i = 0; i < 100000; i++)
        {
            xs.Add((float)(random.NextDouble() * 210 - 110));
            xs.Add((float)(random.NextDouble() * 2 - 1));
        }
        while (xs.Count % 16 != 0)
        {
            xs.Add(0f);
        }
        var values = xs.ToArray();
        var results = new float[values.Length];
        for (int i = 0; i < values.Length; i += 16)
        {
            FastMath.Exp(Vector512.Create(values.AsSpan(i, 16))).CopyTo(results.AsSpan(i, 16));
            for (int j = 0; j < 16; j += 8)
            {
                Assert.Equal(results.AsSpan(i + j, 8).ToArray(), ToArray(FastMath.Exp(Vector256.Create(values.AsSpan(i + j, 8)))));
            }
        }
        for (int i = 0; i < values.Length; i++)
        {
            double expected = Math.Exp(values[i]);
            float actual = results[i];
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(actual), $"exp({values[i]}) = {actual}");
                continue;
            }
            float rounded = (float)expected;
            if (float.IsInfinity(rounded) || rounded == 0 || !float.IsNormal(rounded))
            {
                Assert.True(actual == rounded || Math.Abs(actual - expected) <= 2 * float.Epsilon, $"exp({values[i]}) = {actual}, expected {rounded}");
                continue;
            }
            double ulps = Math.Abs(actual - expected) / (MathF.BitIncrement(rounded) - rounded);
            Assert.True(ulps <= 2, $"exp({values[i]:R}) = {actual:R}, expected {expected:R} ({ulps:F2} ulp)");
        }
    }

    private static float[] ToArray(Vector256<float> v)
    {
        var a = new float[8];
        v.CopyTo(a);
        return a;
    }

    [Fact]
    public void RoundToHalf_EqualsHalfConversion()
    {
        var random = new Random(5);
        var samples = new List<float> { 0f, -0f, 65504f, 65519.99f, 65520f, 1e9f, float.PositiveInfinity, float.NegativeInfinity,
            6.1035156e-5f, 6.1e-5f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 1e-30f, float.Epsilon };
        for (int i = 0; i < 200000; i++)
        {
            samples.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
            samples.Add((float)(random.NextDouble() * Math.Pow(2, random.Next(-30, 18))));
        }
        foreach (float x in samples)
        {
            float expected = (float)(Half)x;
            float actual = HalfBits.RoundToHalf(x);
            bool same = float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual);
            Assert.True(same, $"RoundToHalf({x:R}) = {actual:R}, (float)(Half)x = {expected:R}");
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
