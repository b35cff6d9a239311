using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>
/// Activation rows quantized to Q8_0 exactly as llama.cpp's x86 <c>quantize_row_q8_0</c> does, so
/// that they meet quantized weights in integer dot products and our logits follow llama.cpp's:
/// per block of 32 values q = round-half-even(x · 127 / max|x|) and the scale d = max|x| / 127
/// is rounded to fp16 (kept here as the float32 it widens to). So |x − d q| ≤ d (1/2 + 127·2^-11).
/// Layout of one row, 64-byte aligned: the int8 values of all blocks (the block count rounded up
/// to even, the padding block all zero), then one float scale per block (padding scale 0), then
/// each block's sum of its int8 values as an int32 (for kernels that take an offset out of
/// unsigned weight levels once per block, see <see cref="Q4_0Interleaved"/> and <see cref="Q8_0Interleaved{TV}"/>).
/// The quantization is the same bit for bit at every kernel level.
/// </summary>
internal static unsafe class QuantizedActivations
{
    public const int Block = 32;

    /// <summary>Block pairs per row of <paramref name="k"/> values (k a multiple of 32).</summary>
    public static int Pairs(int k) => (k / Block + 1) / 2;

    /// <summary>Bytes of one quantized row.</summary>
    public static int RowBytes(int k)
    {
        int pairs = Pairs(k);
        return (pairs * 80 + 63) & ~63;
    }

    /// <summary>The scales of a quantized row (after its values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float* Scales(byte* row, int pairs) => (float*)(row + pairs * 64);

    /// <summary>The per-block sums of the int8 values of a quantized row (after its scales).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int* Sums(byte* row, int pairs) => (int*)(row + pairs * 72);

    /// <summary>Quantizes <paramref name="k"/> floats of <paramref name="x"/> into <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRow(float* x, int k, byte* row, bool useVector512)
    {
        int blocks = k / Block;
        int pairs = Pairs(k);
        sbyte* q = (sbyte*)row;
        float* scales = Scales(row, pairs);
        int* sums = Sums(row, pairs);
        for (int b = 0; b < blocks; b++)
        {
            float* xb = x + b * Block;
            sbyte* qb = q + b * Block;
            if (useVector512)
            {
                var v0 = Vector512.Load(xb);
                var v1 = Vector512.Load(xb + 16);
                float amax = V512.MaxAcross(Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1)));
                float d = HalfBits.RoundToHalf(amax / 127f);
                float id = amax != 0f ? 127f / amax : 0f;
                var s = Vector512.Create(id);
                var i0 = Vector512.ConvertToInt32(Vector512.Round(v0 * s));
                var i1 = Vector512.ConvertToInt32(Vector512.Round(v1 * s));
                Avx512F.ConvertToVector128SByteWithSaturation(i0).Store(qb);
                Avx512F.ConvertToVector128SByteWithSaturation(i1).Store(qb + 16);
                scales[b] = d;
            }
            else
            {
                float amax = 0f;
                for (int i = 0; i < Block; i++)
                {
                    amax = MathF.Max(amax, MathF.Abs(xb[i]));
                }
                float d = HalfBits.RoundToHalf(amax / 127f);
                float id = amax != 0f ? 127f / amax : 0f;
                for (int i = 0; i < Block; i++)
                {
                    float r = MathF.Round(xb[i] * id);
                    qb[i] = float.IsNaN(r) ? (sbyte)0 : (sbyte)Math.Clamp(r, -128f, 127f);
                }
                scales[b] = d;
            }
            // From the stored values, so a saturated or NaN input counts as what the kernels will see.
            var stored = Vector256.Load(qb);
            sums[b] = Vector256.Sum(Vector256.WidenLower(stored) + Vector256.WidenUpper(stored));
        }
        if (blocks < 2 * pairs)
        {
            new Span<byte>(q + blocks * Block, Block).Clear();
            scales[blocks] = 0f;
            sums[blocks] = 0;
        }
    }
}
