using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QuantRuntime.IO;

/// <summary>
/// Writes a file so that it appears whole or not at all: the content goes to a temporary file
/// in the target folder, is flushed to disk, then renamed over the target. A failure or a kill
/// midway leaves no file at the target path. On Linux the temporary file is anonymous
/// (O_TMPFILE) until it is complete, so a kill midway leaves no file anywhere; elsewhere (or on a
/// file system without O_TMPFILE) it is a hidden <c>.NAME.GUID.partial</c> beside the target,
/// deleted on failure but left behind by a kill.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>.</summary>
    /// <param name="path">The final file path.</param>
    /// <param name="write">Writes the content to the stream it is given.</param>
    /// <param name="wrapStream">Optional decorator of the file stream (used by tests to inject faults); it is disposed after
    /// <paramref name="write"/> and must leave the file stream open, since the file is flushed to disk after it.</param>
    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrapStream = null)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new IOException($"'{path}' has no folder");
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"folder '{folder}' does not exist");
        }
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            var anonymous = OpenAnonymous(folder);
            var file = anonymous is null
                ? new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)
                : new FileStream(anonymous, FileAccess.Write, 1 << 16);
            bool written = false;
            try
            {
                var guarded = new WriteErrors(file, full);
                var stream = wrapStream?.Invoke(guarded) ?? guarded;
                // The file itself must stay open until it is flushed to disk; only a wrapper is disposed here.
                using (ReferenceEquals(stream, guarded) ? null : stream)
                {
                    write(stream);
                    stream.Flush();
                }
                guarded.FlushToDisk();
                if (anonymous is not null)
                {
                    // Complete and on disk: only now does it get a name.
                    Link(anonymous, temporary);
                }
                written = true;
            }
            finally
            {
                CloseFile(file, quietly: !written);
            }
            File.Move(temporary, full, overwrite: true);
            SyncFolder(folder);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Closes the file. After a failed write its buffer still holds bytes that cannot be written; closing
    /// flushes them again and throws a second, raw error that would hide the first, so that one is dropped.
    /// </summary>
    private static void CloseFile(FileStream file, bool quietly)
    {
        if (!quietly)
        {
            file.Dispose();
            return;
        }
        try
        {
            file.Dispose();
        }
        catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or UnauthorizedAccessException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// The file stream, with its failures reported as IOExceptions naming the target: .NET reports a
    /// write beyond the file system's or the process's size limit (EFBIG) as an ArgumentOutOfRangeException,
    /// which would read as a caller's mistake rather than the I/O failure it is.
    /// </summary>
    private sealed class WriteErrors(FileStream file, string target) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                file.Write(buffer);
            }
            catch (Exception e) when (Translate(e) is { } error)
            {
                throw error;
            }
        }

        public override void WriteByte(byte value) => Write([value]);

        public override void Flush()
        {
            try
            {
                file.Flush();
            }
            catch (Exception e) when (Translate(e) is { } error)
            {
                throw error;
            }
        }

        public void FlushToDisk()
        {
            try
            {
                file.Flush(flushToDisk: true);
            }
            catch (Exception e) when (Translate(e) is { } error)
            {
                throw error;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            // A wrapper that disposes this closes the file, as it would have without this layer.
            if (disposing)
            {
                file.Dispose();
            }
            base.Dispose(disposing);
        }

        private IOException? Translate(Exception e) => e switch
        {
            ArgumentOutOfRangeException => new IOException($"cannot write '{target}': the file is larger than the file system or the file-size limit allows", e),
            IOException io => new IOException($"cannot write '{target}': {io.Message}", e),
            _ => null,
        };
    }

    // ---- Linux: an unnamed file in the target folder (open O_TMPFILE), named by linkat once complete ----

    private const int AtFdCwd = -100;
    private const int AtSymlinkFollow = 0x400;
    private const int AtEmptyPath = 0x1000;
    private const int ReadOnly = 0, WriteOnly = 1, CloseOnExec = 0x80000;

    /// <summary>O_TMPFILE (__O_TMPFILE | O_DIRECTORY), whose O_DIRECTORY bit differs between architectures; 0 where unknown.</summary>
    private static int TmpFileFlag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x400000 | 0x10000,
        Architecture.Arm64 or Architecture.Arm => 0x400000 | 0x4000,
        _ => 0,
    };

    /// <summary>An unnamed writable file in <paramref name="folder"/>, or null where the platform or file system has none.</summary>
    private static SafeFileHandle? OpenAnonymous(string folder)
    {
        if (!OperatingSystem.IsLinux() || TmpFileFlag == 0)
        {
            return null;
        }
        int fd = open(folder, TmpFileFlag | WriteOnly | CloseOnExec, Convert.ToInt32("666", 8));
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Gives the unnamed file the name <paramref name="path"/>.</summary>
    private static void Link(SafeFileHandle file, string path)
    {
        int fd = (int)file.DangerousGetHandle();
        // Through /proc (any user), else by descriptor (needs CAP_DAC_READ_SEARCH).
        if (linkat(AtFdCwd, $"/proc/self/fd/{fd}", AtFdCwd, path, AtSymlinkFollow) == 0
            || linkat(fd, "", AtFdCwd, path, AtEmptyPath) == 0)
        {
            return;
        }
        throw new IOException($"cannot link the written file to '{path}' (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Flushes the folder entry of the rename to disk (Linux; elsewhere the rename's own durability applies).</summary>
    private static void SyncFolder(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        int fd = open(folder, ReadOnly | CloseOnExec, 0);
        if (fd >= 0)
        {
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            _ = fsync(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "linkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int linkat(int oldFolder, string oldPath, int newFolder, string newPath, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);
}
