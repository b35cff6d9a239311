using System.Numerics;
using System.Runtime.CompilerServices;

namespace QuantRuntime.Training.Compute;

/// <summary>
/// Single-threaded float32 matrix products for training, all row-major and contiguous. Every
/// product is written as C += A·B with B's rows streamed as SIMD vectors (<see cref="Vector{T}"/>)
/// and A's entries broadcast: forward passes use a transposed copy of the weights, weight
/// gradients a transposed copy of the output gradients. The summation order depends only on the
/// shapes, so results are reproducible run to run.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>C[m×n] = A[m×k]·B[k×n] (or += with <paramref name="accumulate"/>).</summary>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"spans too short for a {m}x{k} by {k}x{n} product");
        }
        if (m == 0 || n == 0)
        {
            return;
        }
        if (!accumulate)
        {
            c[..(m * n)].Clear();
        }
        if (k == 0)
        {
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            int w = Vector<float>.Count;
            int panelWidth = 3 * w;
            // Column panels outermost: a panel of B (k × 3 vectors) is packed contiguous and stays in
            // L1 while every row block of A streams past it.
            float[]? rented = n > panelWidth ? System.Buffers.ArrayPool<float>.Shared.Rent(k * panelWidth) : null;
            try
            {
                int j = 0;
                for (; j + panelWidth <= n; j += panelWidth)
                {
                    float* panel = pb + j;
                    int ldp = n;
                    fixed (float* packed = rented)
                    {
                        if (packed is not null)
                        {
                            for (int p = 0; p < k; p++)
                            {
                                Buffer.MemoryCopy(pb + (long)p * n + j, packed + (long)p * panelWidth, panelWidth * sizeof(float), panelWidth * sizeof(float));
                            }
                            panel = packed;
                            ldp = panelWidth;
                        }
                        int i = 0;
                        for (; i + 4 <= m; i += 4)
                        {
                            Kernel4x3(pa + (long)i * k, k, panel, ldp, pc + (long)i * n + j, n, k);
                        }
                        for (; i < m; i++)
                        {
                            Kernel1x3(pa + (long)i * k, panel, ldp, pc + (long)i * n + j, k);
                        }
                    }
                }
                for (; j + w <= n; j += w)
                {
                    int i = 0;
                    for (; i + 4 <= m; i += 4)
                    {
                        Kernel4x1(pa + (long)i * k, k, pb + j, n, pc + (long)i * n + j, n, k);
                    }
                    for (; i < m; i++)
                    {
                        Kernel1x1(pa + (long)i * k, pb + j, n, pc + (long)i * n + j, k);
                    }
                }
                for (; j < n; j++)
                {
                    for (int i = 0; i < m; i++)
                    {
                        ScalarDot(pa + (long)i * k, pb + j, n, pc + (long)i * n + j, k);
                    }
                }
            }
            finally
            {
                if (rented is not null)
                {
                    System.Buffers.ArrayPool<float>.Shared.Return(rented);
                }
            }
        }
    }

    /// <summary>dst[cols×rows] = src[rows×cols]ᵀ.</summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        if (src.Length < (long)rows * cols || dst.Length < (long)rows * cols)
        {
            throw new ArgumentException($"spans too short for a {rows}x{cols} transpose");
        }
        const int Tile = 16;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int r1 = Math.Min(rows, r0 + Tile);
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int c1 = Math.Min(cols, c0 + Tile);
                for (int r = r0; r < r1; r++)
                {
                    for (int col = c0; col < c1; col++)
                    {
                        dst[col * rows + r] = src[r * cols + col];
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* p, Vector<float> v) => Unsafe.WriteUnaligned(p, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Fma(Vector<float> a, Vector<float> b, Vector<float> c) => Vector.FusedMultiplyAdd(a, b, c);

    // Four rows of C, three vectors wide: twelve accumulators stay in registers over the k loop.
    private static void Kernel4x3(float* a, int lda, float* b, int ldb, float* c, int ldc, int k)
    {
        int w = Vector<float>.Count;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc;
        Vector<float> s00 = Load(c0), s01 = Load(c0 + w), s02 = Load(c0 + 2 * w);
        Vector<float> s10 = Load(c1), s11 = Load(c1 + w), s12 = Load(c1 + 2 * w);
        Vector<float> s20 = Load(c2), s21 = Load(c2 + w), s22 = Load(c2 + 2 * w);
        Vector<float> s30 = Load(c3), s31 = Load(c3 + w), s32 = Load(c3 + 2 * w);
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Load(bp);
            var b1 = Load(bp + w);
            var b2 = Load(bp + 2 * w);
            var x = new Vector<float>(a0[p]);
            s00 = Fma(x, b0, s00); s01 = Fma(x, b1, s01); s02 = Fma(x, b2, s02);
            x = new Vector<float>(a1[p]);
            s10 = Fma(x, b0, s10); s11 = Fma(x, b1, s11); s12 = Fma(x, b2, s12);
            x = new Vector<float>(a2[p]);
            s20 = Fma(x, b0, s20); s21 = Fma(x, b1, s21); s22 = Fma(x, b2, s22);
            x = new Vector<float>(a3[p]);
            s30 = Fma(x, b0, s30); s31 = Fma(x, b1, s31); s32 = Fma(x, b2, s32);
        }
        Store(c0, s00); Store(c0 + w, s01); Store(c0 + 2 * w, s02);
        Store(c1, s10); Store(c1 + w, s11); Store(c1 + 2 * w, s12);
        Store(c2, s20); Store(c2 + w, s21); Store(c2 + 2 * w, s22);
        Store(c3, s30); Store(c3 + w, s31); Store(c3 + 2 * w, s32);
    }

    private static void Kernel4x1(float* a, int lda, float* b, int ldb, float* c, int ldc, int k)
    {
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc;
        Vector<float> s0 = Load(c0), s1 = Load(c1), s2 = Load(c2), s3 = Load(c3);
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        for (int p = 0; p < k; p++)
        {
            var bv = Load(b + (long)p * ldb);
            s0 = Fma(new Vector<float>(a0[p]), bv, s0);
            s1 = Fma(new Vector<float>(a1[p]), bv, s1);
            s2 = Fma(new Vector<float>(a2[p]), bv, s2);
            s3 = Fma(new Vector<float>(a3[p]), bv, s3);
        }
        Store(c0, s0); Store(c1, s1); Store(c2, s2); Store(c3, s3);
    }

    private static void Kernel1x3(float* a, float* b, int ldb, float* c, int k)
    {
        int w = Vector<float>.Count;
        Vector<float> s0 = Load(c), s1 = Load(c + w), s2 = Load(c + 2 * w);
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb;
            var x = new Vector<float>(a[p]);
            s0 = Fma(x, Load(bp), s0);
            s1 = Fma(x, Load(bp + w), s1);
            s2 = Fma(x, Load(bp + 2 * w), s2);
        }
        Store(c, s0); Store(c + w, s1); Store(c + 2 * w, s2);
    }

    private static void Kernel1x1(float* a, float* b, int ldb, float* c, int k)
    {
        Vector<float> s = Load(c);
        for (int p = 0; p < k; p++)
        {
            s = Fma(new Vector<float>(a[p]), Load(b + (long)p * ldb), s);
        }
        Store(c, s);
    }

    private static void ScalarDot(float* a, float* b, int ldb, float* c, int k)
    {
        float s = *c;
        for (int p = 0; p < k; p++)
        {
            s = MathF.FusedMultiplyAdd(a[p], b[(long)p * ldb], s);
        }
        *c = s;
    }
}
