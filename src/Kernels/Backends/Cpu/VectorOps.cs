using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// The float operations the kernels need, over one vector width. Kernels are generic over an
/// implementing struct, so the JIT compiles one specialised copy per width (512, 256, 128 bits)
/// from one source, the way <c>TensorPrimitives</c> is shaped.
/// </summary>
internal unsafe interface IVec<TV> where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    static abstract TV Splat(float x);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Div(TV a, TV b);
    /// <summary>a * b + c (fused where the hardware has it).</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Max(TV a, TV b);
    static abstract TV Exp(TV a);
    static abstract float Sum(TV a);
    static abstract float MaxAcross(TV a);
    /// <summary>The four horizontal sums of <paramref name="a"/>..<paramref name="d"/>, written to <paramref name="sums"/>[0..3] (a fixed order of additions).</summary>
    static abstract void Sum4(TV a, TV b, TV c, TV d, float* sums);
    /// <summary>Widens <see cref="Count"/> little-endian binary16 values, exactly (subnormals, infinities, NaN).</summary>
    static abstract TV LoadHalf(ushort* p);
    /// <summary>Widens <see cref="Count"/> bfloat16 values (exact).</summary>
    static abstract TV LoadBFloat16(ushort* p);
    /// <summary>Swaps each pair of adjacent lanes (x1, x0, x3, x2, ...).</summary>
    static abstract TV SwapPairs(TV a);
}

/// <summary>Software prefetch where the platform exposes one (x86); a no-op elsewhere.</summary>
internal static unsafe class Memory
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* address)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(address);
        }
    }
}

/// <summary>
/// A float32 e^x for the vector widths (Cephes' expf: Cody-Waite reduction and a degree-6
/// polynomial, about 1 ulp), used instead of <c>Vector512.Exp</c>, which measured 70-130 ns per 16
/// floats here (it is not hardware-accelerated for float), about 20x slower.
/// </summary>
internal static class FastMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // Clamp to where e^x is 0 (below -104) or infinity (above 89) in float32; NaN stays NaN.
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-104f)), Vector512.Create(89f));
        var n = Vector512.Round(x * Vector512.Create(1.44269504088896341f));
        // Cody-Waite: r = x - n ln2 in two parts, |r| <= ln2 / 2.
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1.9875691500e-4f), r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p * r, r, r) + Vector512.Create(1f);
        // 2^n as two factors 2^(n/2) 2^(n - n/2), each a normal float, so the product under- and
        // overflows gradually as IEEE arithmetic does.
        var ni = Vector512.ConvertToInt32(n);
        var half = ni >> 1;
        var scale1 = ((half + Vector512.Create(127)) << 23).AsSingle();
        var scale2 = ((ni - half + Vector512.Create(127)) << 23).AsSingle();
        return p * scale1 * scale2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // Clamp to where e^x is 0 (below -104) or infinity (above 89) in float32; NaN stays NaN.
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-104f)), Vector256.Create(89f));
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        // Cody-Waite: r = x - n ln2 in two parts, |r| <= ln2 / 2.
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.9875691500e-4f), r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Vector256.FusedMultiplyAdd(p * r, r, r) + Vector256.Create(1f);
        // 2^n as two factors 2^(n/2) 2^(n - n/2), each a normal float, so the product under- and
        // overflows gradually as IEEE arithmetic does.
        var ni = Vector256.ConvertToInt32(n);
        var half = ni >> 1;
        var scale1 = ((half + Vector256.Create(127)) << 23).AsSingle();
        var scale2 = ((ni - half + Vector256.Create(127)) << 23).AsSingle();
        return p * scale1 * scale2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        // Clamp to where e^x is 0 (below -104) or infinity (above 89) in float32; NaN stays NaN.
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(-104f)), Vector128.Create(89f));
        var n = Vector128.Round(x * Vector128.Create(1.44269504088896341f));
        // Cody-Waite: r = x - n ln2 in two parts, |r| <= ln2 / 2.
        var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-0.693359375f), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(2.12194440e-4f), r);
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(1.9875691500e-4f), r, Vector128.Create(1.3981999507e-3f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(8.3334519073e-3f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(4.1665795894e-2f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.6666665459e-1f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(5.0000001201e-1f));
        p = Vector128.FusedMultiplyAdd(p * r, r, r) + Vector128.Create(1f);
        // 2^n as two factors 2^(n/2) 2^(n - n/2), each a normal float, so the product under- and
        // overflows gradually as IEEE arithmetic does.
        var ni = Vector128.ConvertToInt32(n);
        var half = ni >> 1;
        var scale1 = ((half + Vector128.Create(127)) << 23).AsSingle();
        var scale2 = ((ni - half + Vector128.Create(127)) << 23).AsSingle();
        return p * scale1 * scale2;
    }
}

/// <summary>Exact binary16 to binary32 conversion with integer operations (no F16C in .NET).</summary>
internal static class HalfBits
{
    /// <summary>2^112: rebiases a binary16 exponent placed in a binary32 field.</summary>
    public const float Rebias = 5.192296858534828e33f;

    /// <summary>
    /// (float)(Half)x, rounding to nearest even as F16C's vcvtps2ph (and .NET's Half) does, without
    /// the software Half conversion: rounds the mantissa to 10 bits for normal halves, to multiples
    /// of 2^-24 for subnormal ones, and overflows to infinity from 65520 on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint magnitude = bits & 0x7FFFFFFF;
        if (magnitude >= 0x477FF000) // 65520 and above, infinities, NaN
        {
            return magnitude > 0x7F800000 ? x : BitConverter.UInt32BitsToSingle((bits & 0x80000000) | 0x7F800000);
        }
        if (magnitude < 0x38800000) // below 2^-14: subnormal half, a fixed step of 2^-24
        {
            return MathF.Round(x * 16777216f) * (1f / 16777216f);
        }
        bits += 0xFFF + ((bits >> 13) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFFE000);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h)
    {
        float magnitude = BitConverter.UInt32BitsToSingle((uint)(h & 0x7FFF) << 13) * Rebias;
        uint bits = BitConverter.SingleToUInt32Bits(magnitude);
        if (magnitude >= 65536f)
        {
            bits |= 0x7F800000; // exponent 31: infinity or NaN
        }
        return BitConverter.UInt32BitsToSingle(bits | ((uint)(h & 0x8000) << 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> h)
    {
        // The half in the high word: an arithmetic shift by 3 lands sign, exponent and mantissa
        // where binary32 keeps them (the sign copies into bits 28-30 are masked off), then 2^112
        // rebases the exponent; subnormals come out exact. Exponent 31 (inf/NaN) gets all ones.
        var high = (h << 16).AsInt32();
        var bits = (high >> 3) & Vector512.Create(unchecked((int)0x8FFFE000));
        var value = bits.AsSingle() * Vector512.Create(Rebias);
        var special = Vector512.Equals(high & Vector512.Create(0x7C000000), Vector512.Create(0x7C000000)) & Vector512.Create(0x7F800000);
        return (value.AsInt32() | special).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> h)
    {
        var magnitude = ((h & Vector256.Create(0x7FFFu)) << 13).AsSingle() * Vector256.Create(Rebias);
        var special = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(65536f)).AsUInt32() & Vector256.Create(0x7F800000u);
        return (magnitude.AsUInt32() | special | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> h)
    {
        var magnitude = ((h & Vector128.Create(0x7FFFu)) << 13).AsSingle() * Vector128.Create(Rebias);
        var special = Vector128.GreaterThanOrEqual(magnitude, Vector128.Create(65536f)).AsUInt32() & Vector128.Create(0x7F800000u);
        return (magnitude.AsUInt32() | special | ((h & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }
}

internal unsafe struct V512 : IVec<Vector512<float>>
{
    public static int Count => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> a) => FastMath.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> a) => V256.Sum(a.GetLower() + a.GetUpper());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector512<float> a) => V256.MaxAcross(Vector256.Max(a.GetLower(), a.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* sums) =>
        V256.Sum4(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper(), c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper(), sums);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadHalf(ushort* p) => HalfBits.ToSingle(Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBFloat16(ushort* p) => (Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()) << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SwapPairs(Vector512<float> a) =>
        Vector512.Shuffle(a, Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
}

internal unsafe struct V256 : IVec<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> a) => FastMath.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> a) => V128.Sum(a.GetLower() + a.GetUpper());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector256<float> a) => V128.MaxAcross(Vector128.Max(a.GetLower(), a.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, float* sums)
    {
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            // [a01 a23 b01 b23 | a45 a67 b45 b67], then [a0123 b0123 c0123 d0123 | a4567 ...]
            var ab = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(a, b);
            var cd = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(c, d);
            var abcd = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(ab, cd);
            (abcd.GetLower() + abcd.GetUpper()).Store(sums);
        }
        else
        {
            V128.Sum4(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper(), c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper(), sums);
        }
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadHalf(ushort* p) => HalfBits.ToSingle(Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBFloat16(ushort* p) => (Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe()) << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SwapPairs(Vector256<float> a) => Vector256.Shuffle(a, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6));
}

internal unsafe struct V128 : IVec<Vector128<float>>
{
    public static int Count => 4;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Div(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> a) => FastMath.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> a) => (a.GetElement(0) + a.GetElement(1)) + (a.GetElement(2) + a.GetElement(3));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> a) => MathF.Max(MathF.Max(a.GetElement(0), a.GetElement(1)), MathF.Max(a.GetElement(2), a.GetElement(3)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d, float* sums)
    {
        if (System.Runtime.Intrinsics.X86.Sse3.IsSupported)
        {
            var ab = System.Runtime.Intrinsics.X86.Sse3.HorizontalAdd(a, b);
            var cd = System.Runtime.Intrinsics.X86.Sse3.HorizontalAdd(c, d);
            System.Runtime.Intrinsics.X86.Sse3.HorizontalAdd(ab, cd).Store(sums);
        }
        else
        {
            sums[0] = Sum(a);
            sums[1] = Sum(b);
            sums[2] = Sum(c);
            sums[3] = Sum(d);
        }
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadHalf(ushort* p) => HalfBits.ToSingle(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsUInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadBFloat16(ushort* p) => (Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsUInt16()) << 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SwapPairs(Vector128<float> a) => Vector128.Shuffle(a, Vector128.Create(1, 0, 3, 2));
}

/// <summary>The scalar "vector" of one lane: the same generic kernels run as plain loops.</summary>
internal unsafe struct S1 : IVec<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Splat(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sub(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Mul(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Div(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fma(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float a) => MathF.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(float a, float b, float c, float d, float* sums)
    {
        sums[0] = a;
        sums[1] = b;
        sums[2] = c;
        sums[3] = d;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LoadHalf(ushort* p) => HalfBits.ToSingle(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LoadBFloat16(ushort* p) => BitConverter.UInt32BitsToSingle((uint)*p << 16);
    public static float SwapPairs(float a) => throw new NotSupportedException("a one-lane vector has no pairs");
}

/// <summary>A compile-time count for generic tile kernels (the JIT folds <see cref="Value"/>).</summary>
internal interface IConst
{
    static abstract int Value { get; }
}

internal struct C0 : IConst { public static int Value => 0; }
internal struct C1 : IConst { public static int Value => 1; }
internal struct C2 : IConst { public static int Value => 2; }
internal struct C3 : IConst { public static int Value => 3; }
internal struct C4 : IConst { public static int Value => 4; }
internal struct C5 : IConst { public static int Value => 5; }
internal struct C6 : IConst { public static int Value => 6; }
internal struct C7 : IConst { public static int Value => 7; }
internal struct C8 : IConst { public static int Value => 8; }
