using System.Buffers;
using QuantRuntime.Kernels.Tensors;
using System.IO.MemoryMappedFiles;

namespace QuantRuntime.IO;

/// <summary>
/// A read-only view of a whole file or byte array at a fixed address, so parsers read it in
/// place and tensors hand out zero-copy <see cref="ReadOnlyMemory{T}"/> slices. The slices are
/// valid until the view is disposed.
/// </summary>
public sealed unsafe partial class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly System.Runtime.InteropServices.GCHandle _pin;
    private bool _disposed;

    private MappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        _map = map;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + view.PointerOffset;
        Length = length;
    }

    private MappedFile(byte[] bytes)
    {
        _pin = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
        Pointer = (byte*)_pin.AddrOfPinnedObject();
        Length = bytes.Length;
    }

    /// <summary>Address of the first byte.</summary>
    public byte* Pointer { get; }

    /// <summary>Length in bytes.</summary>
    public long Length { get; }

    /// <summary>Maps <paramref name="path"/> read-only. An empty file maps to an empty view.</summary>
    public static MappedFile Open(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length == 0)
        {
            return new MappedFile([]);
        }
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new MappedFile(map, view, length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Pins <paramref name="bytes"/> and views them in place (for in-memory parsing and fuzzing).</summary>
    public static MappedFile FromBytes(byte[] bytes) => new(bytes);

    /// <summary>A zero-copy view of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public ReadOnlyMemory<byte> Slice(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside the {Length}-byte view");
        }
        return new PointerMemory(Pointer + offset, length, evictable: _view is not null).Memory;
    }

    /// <summary>A span over <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length) => Slice(offset, length).Span;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }
        else if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }

    /// <summary>A slice of the view. Over a file mapping (not pinned bytes) its pages can be dropped: they re-read from the file.</summary>
    private sealed class PointerMemory(byte* pointer, int length, bool evictable) : MemoryManager<byte>, IEvictableMemory
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public void Evict(int start, int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(start);
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, length - start);
            if (!evictable || !OperatingSystem.IsLinux())
            {
                return;
            }
            long page = Environment.SystemPageSize;
            long first = ((long)(pointer + start) + page - 1) & ~(page - 1);
            long end = ((long)(pointer + start) + count) & ~(page - 1);
            if (end > first)
            {
                // MADV_DONTNEED on a read-only file mapping only unmaps the pages from this process;
                // the next access reads them again from the page cache or the file.
                _ = madvise((void*)first, (nuint)(end - first), 4);
            }
        }

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int madvise(void* address, nuint length, int advice);
}
