using QuantRuntime.Formats.Gguf;
using QuantRuntime.IO;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Formats;

/// <summary>AtomicFile (and GgufWriter.Save through it): the target appears whole or not at all.</summary>
public sealed class AtomicFileTests
{
    /// <summary>Passes writes through until <paramref name="limit"/> bytes, then fails like a full disk.</summary>
    private sealed class DiskFullStream(Stream inner, long limit) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int allowed = (int)Math.Min(buffer.Length, limit - Written);
            inner.Write(buffer[..allowed]);
            Written += allowed;
            if (allowed < buffer.Length)
            {
                throw new IOException("disk full");
            }
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static GgufWriter LargeModel()
    {
        // Bigger than GgufWriter's 64 KiB buffer, so the fault hits mid-write as well as at the final flush.
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        return new GgufWriter().Add("general.name", "large").AddTensor("w", TensorType.F32, [75_000], data);
    }

    private static void AssertOnlyFiles(TempDirectory folder, params string[] names) =>
        Assert.Equal(names.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

    [Fact]
    public void ThrowingWriter_LeavesNothing()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.bin");
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new InvalidOperationException("writer failed midway");
        }));
        Assert.Equal("writer failed midway", e.Message);
        AssertOnlyFiles(folder);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(65_536)]
    [InlineData(200_000)]
    [InlineData(300_000)]
    public void DiskFull_LeavesNothing(int limit)
    {
        using var folder = new TempDirectory();
        DiskFullStream? wrapper = null;
        var e = Assert.Throws<IOException>(() => LargeModel().Save(folder.File("model.gguf"), s => wrapper = new DiskFullStream(s, limit)));
        Assert.Equal("disk full", e.Message);
        Assert.Equal(limit, wrapper!.Written);
        AssertOnlyFiles(folder);
    }

    [Fact]
    public void DiskFullAtTheLastByte_LeavesNothing()
    {
        using var folder = new TempDirectory();
        using var stream = new MemoryStream();
        LargeModel().WriteTo(stream);
        long size = stream.Length;
        Assert.Throws<IOException>(() => LargeModel().Save(folder.File("model.gguf"), s => new DiskFullStream(s, size - 1)));
        AssertOnlyFiles(folder);

        LargeModel().Save(folder.File("model.gguf"), s => new DiskFullStream(s, size));
        AssertOnlyFiles(folder, "model.gguf");
        Assert.Equal(stream.ToArray(), File.ReadAllBytes(folder.File("model.gguf")));
    }

    [Fact]
    public void FailingWrapStream_LeavesNothing()
    {
        using var folder = new TempDirectory();
        Assert.Throws<IOException>(() => AtomicFile.Write(folder.File("x"), _ => { }, _ => throw new IOException("cannot wrap")));
        AssertOnlyFiles(folder);
    }

    [Fact]
    public void WrapperThatClosesTheFile_FailsWithoutLeavingAFile()
    {
        // The file is flushed to disk after the wrapper is disposed, so a wrapper must leave it open.
        using var folder = new TempDirectory();
        Assert.Throws<ObjectDisposedException>(() => AtomicFile.Write(folder.File("x"), s => s.WriteByte(1), s => new BufferedStream(s)));
        AssertOnlyFiles(folder);
    }

    [Fact]
    public void Failure_LeavesExistingTargetUntouched()
    {
        using var folder = new TempDirectory();
        string path = folder.File("model.gguf");
        byte[] original = [1, 2, 3, 4, 5];
        File.WriteAllBytes(path, original);
        var stamp = File.GetLastWriteTimeUtc(path);

        Assert.Throws<IOException>(() => LargeModel().Save(path, s => new DiskFullStream(s, 100_000)));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[10]);
            throw new InvalidOperationException("no");
        }));

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        AssertOnlyFiles(folder, "model.gguf");
    }

    [Fact]
    public void Success_ReplacesExistingTarget()
    {
        using var folder = new TempDirectory();
        string path = folder.File("model.gguf");
        File.WriteAllBytes(path, new byte[1_000_000]);

        LargeModel().Save(path);

        using (var file = GgufFile.Open(path))
        {
            Assert.Equal("large", file.Metadata.GetString("general.name"));
        }
        AtomicFile.Write(path, s => s.Write("short"u8));
        Assert.Equal("short"u8.ToArray(), File.ReadAllBytes(path));
        AssertOnlyFiles(folder, "model.gguf");
    }

    [Fact]
    public void MissingFolder_Throws()
    {
        using var folder = new TempDirectory();
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(folder.File(Path.Combine("absent", "x.bin")), s => s.WriteByte(1)));
        AssertOnlyFiles(folder);
    }
}
