using System.Buffers;
using System.Runtime.InteropServices;
using QuantRuntime.Kernels.Backends.Cpu;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Reliability;
using static QuantRuntime.Tests.Kernels.Cpu.CpuTestData;

namespace QuantRuntime.Tests.Kernels.Cpu;

/// <summary>
/// The quantized kernels load whole 64-byte vectors and may spill past a row into the next one; at
/// the end of a tensor that spill must never happen, since a memory-mapped tensor can end where the
/// mapping does. Each weight tensor here ends exactly at an inaccessible page (PROT_NONE): a read
/// past its last byte kills the test process, so passing means no such read. Results must equal
/// the same tensor's in ordinary memory bit for bit.
/// </summary>
public sealed unsafe partial class CpuGuardPageTests
{
    public static TheoryData<CpuKernelLevel> AllLevels => LevelData();

    [LinuxTheory]
    [MemberData(nameof(AllLevels))]
    public void QuantizedWeights_EndingAtAnUnmappedPage_AreNeverReadPastTheirEnd(CpuKernelLevel level)
    {
        TensorType[] types = [TensorType.Q4_0, TensorType.Q4_1, TensorType.Q8_0, .. GroupScaledLayout.All.Select(l => l.Type)];
        foreach (var type in types)
        {
            // Even and odd block counts, one and several tiles, GEMV and GEMM batches.
            foreach (var (n, k) in new[] { (4, 64), (7, 4096), (9, 96), (1, 256) })
            {
                if (k % TensorTypeInfo.Of(type).BlockSize != 0)
                {
                    continue;
                }
                var tensor = Weights(type, n, k, seed: n + k);
                using var guarded = new GuardedCopy(tensor.Data.Span);
                var atTheEdge = new HostTensor(type, n, k, guarded.Memory);
                foreach (int rows in new[] { 1, 2, 9 })
                {
                    var x = Activations(rows * k, seed: rows);
                    using var cpu = new CpuBackend(2, level);
                    Assert.Equal(MatMul(cpu, tensor, x, rows), MatMul(cpu, atTheEdge, x, rows));
                }
            }
        }
    }

    /// <summary>A copy of some bytes that end exactly where an inaccessible page begins.</summary>
    private sealed partial class GuardedCopy : MemoryManager<byte>
    {
        private const int ProtNone = 0, ProtReadWrite = 3, MapPrivateAnonymous = 0x02 | 0x20;
        private readonly byte* _mapping;
        private readonly nuint _mappingBytes;
        private readonly byte* _data;
        private readonly int _length;

        public GuardedCopy(ReadOnlySpan<byte> bytes)
        {
            nuint page = (nuint)Environment.SystemPageSize;
            nuint dataPages = ((nuint)bytes.Length + page - 1) / page;
            _mappingBytes = (dataPages + 1) * page;
            _mapping = (byte*)mmap(null, _mappingBytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            Assert.True(_mapping != (byte*)-1, "mmap failed");
            Assert.Equal(0, mprotect(_mapping + dataPages * page, page, ProtNone));
            _length = bytes.Length;
            _data = _mapping + dataPages * page - (nuint)bytes.Length;
            bytes.CopyTo(new Span<byte>(_data, _length));
        }

        public override Span<byte> GetSpan() => new(_data, _length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_data + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => _ = munmap(_mapping, _mappingBytes);

        [LibraryImport("libc", EntryPoint = "mmap")]
        private static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", EntryPoint = "mprotect")]
        private static partial int mprotect(void* address, nuint length, int protection);

        [LibraryImport("libc", EntryPoint = "munmap")]
        private static partial int munmap(void* address, nuint length);
    }
}
