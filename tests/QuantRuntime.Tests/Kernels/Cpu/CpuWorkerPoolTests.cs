using QuantRuntime.Kernels.Backends.Cpu;

namespace QuantRuntime.Tests.Kernels.Cpu;

public sealed class CpuWorkerPoolTests
{
    private sealed class Counting(int chunks) : IParallelWork
    {
        public readonly int[] Hits = new int[chunks];
        public int FailAt = -1;

        public void Run(int chunk, int worker)
        {
            if (chunk == FailAt)
            {
                throw new InvalidOperationException("boom");
            }
            Interlocked.Increment(ref Hits[chunk]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryChunkRunsExactlyOnce_OverManyDispatches(int workers)
    {
        using var pool = new CpuWorkerPool(workers);
        for (int round = 0; round < 2000; round++)
        {
            int chunks = 1 + round % 37;
            var work = new Counting(chunks);
            pool.Execute(work, chunks);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
            if (round % 500 == 0)
            {
                Thread.Sleep(5); // let the workers fall asleep, then wake them
            }
        }
    }

    [Fact]
    public void AFailingChunkSurfacesAndThePoolStaysUsable()
    {
        using var pool = new CpuWorkerPool(3);
        for (int failAt = 0; failAt < 20; failAt++)
        {
            var work = new Counting(20) { FailAt = failAt };
            Assert.ThrowsAny<Exception>(() => pool.Execute(work, 20));
        }
        var ok = new Counting(50);
        pool.Execute(ok, 50);
        Assert.All(ok.Hits, h => Assert.Equal(1, h));
    }

    /// <summary>The first chunk a pool thread gets blocks until the caller has run all the others, which it can only do by taking over that thread's share.</summary>
    private sealed class StalledWorker(int chunks) : IParallelWork
    {
        public readonly int[] Hits = new int[chunks];
        public int ByCaller;
        private int _stalled;

        public void Run(int chunk, int worker)
        {
            Interlocked.Increment(ref Hits[chunk]);
            if (worker == 0)
            {
                Interlocked.Increment(ref ByCaller);
                return;
            }
            if (Interlocked.Exchange(ref _stalled, 1) == 0)
            {
                SpinWait.SpinUntil(() => Volatile.Read(ref ByCaller) == Hits.Length - 1, TimeSpan.FromSeconds(20));
            }
        }
    }

    [Fact]
    public void AStalledWorkersShareIsTakenOverByTheCaller()
    {
        using var pool = new CpuWorkerPool(2);
        for (int round = 0; round < 20; round++)
        {
            var work = new StalledWorker(16);
            pool.Execute(work, 16);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
            // Either the worker never woke in time (the caller ran all 16) or it stalled on one chunk
            // of its own share and the caller ran the other 15, half of them from that share.
            Assert.True(work.ByCaller >= 15, $"the caller ran {work.ByCaller} of 16 chunks");
        }
    }
}
