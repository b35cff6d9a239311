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
/// reuses and chunks are claimed with one atomic increment each. Which worker computes a chunk
/// varies from run to run; kernels make every output depend only on its chunk, never on the worker,
/// so results do not depend on the thread count. Not re-entrant: callers serialize dispatches.
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 microseconds
    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private readonly object _doneGate = new();
    private IParallelWork? _work;
    private int _chunks;
    private int _next;
    private int _pending;
    private int _generation;
    private int _sleepers;
    private volatile bool _stopping;
    private Exception? _failure;
    private readonly long[] _allocated;

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
        _work = work;
        _chunks = chunks;
        _next = 0;
        _failure = null;
        _pending = _threads.Length;
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
        try
        {
            RunChunks(0);
        }
        finally
        {
            WaitForWorkers();
            _work = null;
        }
        if (_failure is { } failure)
        {
            throw new AggregateException("a CPU worker failed", failure);
        }
    }

    private void RunChunks(int worker)
    {
        var work = _work!;
        int chunks = _chunks;
        try
        {
            for (int c = Interlocked.Increment(ref _next) - 1; c < chunks; c = Interlocked.Increment(ref _next) - 1)
            {
                work.Run(c, worker);
            }
        }
        catch (Exception e) when (worker != 0)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            // Let the other workers drain the remaining chunks quickly.
            Volatile.Write(ref _next, chunks);
        }
    }

    private void WaitForWorkers()
    {
        long start = Stopwatch.GetTimestamp();
        int spins = 0;
        while (Volatile.Read(ref _pending) != 0)
        {
            if (++spins % 64 == 0 && Stopwatch.GetTimestamp() - start > SpinTicks)
            {
                lock (_doneGate)
                {
                    while (Volatile.Read(ref _pending) != 0)
                    {
                        Monitor.Wait(_doneGate);
                    }
                }
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
            RunChunks(index);
            _allocated[index] = GC.GetAllocatedBytesForCurrentThread();
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                // Always pulse under the lock: the caller re-checks the count under the same lock,
                // so a wake-up can be neither lost nor mistaken for a later dispatch's.
                lock (_doneGate)
                {
                    Monitor.PulseAll(_doneGate);
                }
            }
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
