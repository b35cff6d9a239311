using System.Diagnostics;

namespace QuantRuntime.Kernels.Backends.Cpu;

/// <summary>Work split into numbered chunks; <see cref="Run"/> is called once per chunk, on any worker.</summary>
internal interface IParallelWork
{
    /// <summary>Computes chunk <paramref name="chunk"/> on worker <paramref name="worker"/> (0 is the calling thread).</summary>
    void Run(int chunk, int worker);
}

/// <summary>
/// A persistent pool of dedicated worker threads used for every operator of a forward pass. The
/// caller of <see cref="Execute"/> works as worker 0 alongside <c>Workers - 1</c> threads that
/// spin briefly between operators (the gaps in a forward pass are microseconds) and then block,
/// so an idle backend costs no CPU. A dispatch allocates nothing: the work is an object the caller
/// reuses and chunks are claimed with one compare-and-swap each.
/// <para>
/// The caller waits for chunks, not for threads: claims carry the dispatch's generation, so a
/// worker that the OS has not scheduled yet (common on a shared machine) simply finds nothing left
/// to claim when it wakes, instead of holding the dispatch up. Which worker computes a chunk varies
/// from run to run; kernels make every output depend only on its chunk, never on the worker.
/// Not re-entrant: callers serialize dispatches.
/// </para>
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 microseconds
    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private readonly object _doneGate = new();
    private readonly long[] _allocated;
    private IParallelWork? _work;
    // The claim word: generation (24 bits) | chunk count (20 bits) | next chunk index (20 bits),
    // so a worker never pairs one dispatch's count or index with another's.
    private long _next;
    private const int IndexBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;
    private const long GenerationMask = (1L << 24) - 1;
    private int _completed;   // chunks of the current generation finished
    private int _generation;
    private int _sleepers;
    private int _callerWaiting;
    private volatile bool _stopping;
    private Exception? _failure;

    public CpuWorkerPool(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Workers = workers;
        _threads = new Thread[workers - 1];
        _allocated = new long[workers];
        for (int i = 0; i < _threads.Length; i++)
        {
            int index = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"QuantRuntime CPU worker {index}",
            };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that compute, the caller included.</summary>
    public int Workers { get; }

    /// <summary>Runs chunks 0..<paramref name="chunks"/>-1 of <paramref name="work"/> and returns when all are done.</summary>
    public void Execute(IParallelWork work, int chunks)
    {
        if (chunks <= 0)
        {
            return;
        }
        if (Workers == 1 || chunks == 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                work.Run(c, 0);
            }
            return;
        }
        if (chunks > IndexMask)
        {
            throw new ArgumentOutOfRangeException(nameof(chunks), $"at most {IndexMask} chunks per dispatch");
        }
        int generation = _generation + 1;
        _work = work;
        _failure = null;
        Volatile.Write(ref _completed, 0);
        Volatile.Write(ref _next, ((generation & GenerationMask) << (2 * IndexBits)) | ((long)chunks << IndexBits));
        Interlocked.Exchange(ref _generation, generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
        Exception? own = null;
        try
        {
            RunChunks(generation, work, 0);
        }
        catch (Exception e)
        {
            own = e;
        }
        WaitForChunks(chunks);
        _work = null;
        if (own is not null)
        {
            throw own;
        }
        if (_failure is { } failure)
        {
            throw new AggregateException("a CPU worker failed", failure);
        }
    }

    /// <summary>Claims and runs chunks of <paramref name="generation"/> until none is left (or the generation has moved on).</summary>
    private void RunChunks(int generation, IParallelWork work, int worker)
    {
        while (true)
        {
            long claim = Volatile.Read(ref _next);
            if (((claim >> (2 * IndexBits)) & GenerationMask) != (generation & GenerationMask))
            {
                return;
            }
            int chunks = (int)((claim >> IndexBits) & IndexMask);
            int chunk = (int)(claim & IndexMask);
            if (chunk >= chunks)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref _next, claim + 1, claim) != claim)
            {
                continue;
            }
            try
            {
                work.Run(chunk, worker);
            }
            catch (Exception e) when (worker != 0)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            finally
            {
                if (Interlocked.Increment(ref _completed) == chunks && Volatile.Read(ref _callerWaiting) != 0)
                {
                    lock (_doneGate)
                    {
                        Monitor.PulseAll(_doneGate);
                    }
                }
            }
        }
    }

    private void WaitForChunks(int chunks)
    {
        long start = Stopwatch.GetTimestamp();
        int spins = 0;
        while (Volatile.Read(ref _completed) != chunks)
        {
            if (++spins % 64 == 0 && Stopwatch.GetTimestamp() - start > SpinTicks)
            {
                // Announce, then re-check under the lock: a finisher that misses the flag has already
                // made the count visible, so the check below sees it (both sides use full fences).
                Interlocked.Exchange(ref _callerWaiting, 1);
                lock (_doneGate)
                {
                    while (Volatile.Read(ref _completed) != chunks)
                    {
                        Monitor.Wait(_doneGate);
                    }
                }
                Interlocked.Exchange(ref _callerWaiting, 0);
                return;
            }
            Thread.SpinWait(8);
        }
    }

    private void WorkerLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            if (Volatile.Read(ref _generation) == seen)
            {
                long start = Stopwatch.GetTimestamp();
                int spins = 0;
                while (Volatile.Read(ref _generation) == seen && !_stopping)
                {
                    if (++spins % 64 == 0 && Stopwatch.GetTimestamp() - start > SpinTicks)
                    {
                        Interlocked.Increment(ref _sleepers);
                        lock (_gate)
                        {
                            while (Volatile.Read(ref _generation) == seen && !_stopping)
                            {
                                Monitor.Wait(_gate);
                            }
                        }
                        Interlocked.Decrement(ref _sleepers);
                        break;
                    }
                    Thread.SpinWait(8);
                }
            }
            if (_stopping)
            {
                return;
            }
            seen = Volatile.Read(ref _generation);
            // Read after the generation: the caller publishes the work before the generation. If the
            // caller has moved on since, every claim below fails (see RunChunks).
            var work = _work;
            if (work is not null)
            {
                RunChunks(seen, work, index);
            }
            _allocated[index] = GC.GetAllocatedBytesForCurrentThread();
        }
    }

    /// <summary>Bytes the pool's own threads (not the caller) had allocated at the end of their last dispatch (for allocation tests).</summary>
    internal long WorkerAllocatedBytes()
    {
        long sum = 0;
        for (int i = 1; i < _allocated.Length; i++)
        {
            sum += Volatile.Read(ref _allocated[i]);
        }
        return sum;
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }
}
