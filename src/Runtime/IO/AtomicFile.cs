namespace QuantRuntime.IO;

/// <summary>
/// Writes a file so that it appears whole or not at all: the content goes to a temporary file
/// in the target folder, is flushed to disk, then renamed over the target. A failure or a kill
/// midway leaves no file at the target path.
/// </summary>
public static class AtomicFile
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
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var stream = wrapStream?.Invoke(file) ?? file;
                // The file itself must stay open until it is flushed to disk; only a wrapper is disposed here.
                using (ReferenceEquals(stream, file) ? null : stream)
                {
                    write(stream);
                    stream.Flush();
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
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
}
