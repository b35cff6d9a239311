using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Tensors;
using static QuantRuntime.Tests.Kernels.Cpu.CpuTestData;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>
/// The steady state of a decode step allocates nothing, on the calling thread or on the pool's
/// workers (each records its own per-thread counter after every dispatch; a process-wide counter
/// would also see the test runner's threads).
/// </summary>
public sealed class CpuAllocationTests
{
    [Fact]
    public void DecodeStepOperators_AllocateNothingInSteadyState()
    {
        using var cpu = new CpuBackend(3);
        const int dim = 256, hidden = 640, heads = 8, kvHeads = 2, headDim = 32, context = 160;
        var weights = new[] { TensorType.Q4_0, TensorType.Q8_0, TensorType.Q4_1, TensorType.F16, TensorType.F32, TensorType.Q6_K, TensorType.Int4G64 }
            .Select(t => cpu.Upload(Weights(t, hidden, dim, seed: (int)t)))
            .ToArray();
        using var gain = cpu.Upload(HostTensor.FromFloats(1, dim, Activations(dim, 1)));
        using var x = cpu.Allocate(dim);
        using var normed = cpu.Allocate(dim);
        using var wide = cpu.Allocate(hidden);
        using var wide2 = cpu.Allocate(hidden);
        using var q = cpu.Allocate(heads * headDim);
        using var keys = cpu.Allocate(context * kvHeads * headDim);
        using var values = cpu.Allocate(context * kvHeads * headDim);
        using var attention = cpu.Allocate(heads * headDim);
        const int batch = 17;
        using var batchIn = cpu.Allocate(batch * dim);
        using var batchOut = cpu.Allocate(batch * hidden);
        using var batchAttention = cpu.Allocate(2 * heads * headDim);
        cpu.Write(Activations(batch * dim, 6), batchIn);
        cpu.Write(Activations(dim, 2), x);
        cpu.Write(Activations(context * kvHeads * headDim, 3), keys);
        cpu.Write(Activations(context * kvHeads * headDim, 4), values);
        cpu.Write(Activations(heads * headDim, 5), q);

        void Step(int position)
        {
            cpu.RmsNorm(x, gain, normed, 1, 1e-5f);
            foreach (var w in weights)
            {
                cpu.MatMul(w, normed, wide, 1);
            }
            cpu.Rope(q, 1, heads, headDim, position, 10000f, RopeStyle.AdjacentPairs);
            cpu.Attention(q, keys, values, attention, new AttentionShape(1, position, heads, kvHeads, headDim));
            cpu.SwiGlu(wide, wide, wide2, hidden);
            cpu.Add(x, normed, dim);
            if (position % 8 == 0)
            {
                // A prefill-sized chunk too (GEMM path: unpacked tiles, F16 permutation).
                foreach (var w in weights)
                {
                    cpu.MatMul(w, batchIn, batchOut, batch);
                }
                cpu.Attention(batchOut, keys, values, batchAttention, new AttentionShape(2, position, heads, kvHeads, headDim));
            }
        }

        // Warm-up: enough steps for tiered compilation to settle (re-JIT on a running thread may
        // allocate), and the last position once so the RoPE table already covers the whole run.
        for (int position = 0; position < 64; position++)
        {
            Step(position);
        }
        Step(context - 1);
        long thread = GC.GetAllocatedBytesForCurrentThread();
        long workers = cpu.WorkerAllocatedBytes;
        for (int position = 64; position < context - 1; position++)
        {
            Step(position);
        }
        long threadDelta = GC.GetAllocatedBytesForCurrentThread() - thread;
        long workersDelta = cpu.WorkerAllocatedBytes - workers;
        Assert.Equal(0, threadDelta);
        Assert.Equal(0, workersDelta);
        foreach (var w in weights)
        {
            w.Dispose();
        }
    }
}
