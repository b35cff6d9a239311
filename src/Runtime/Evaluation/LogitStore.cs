using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QuantRuntime.Evaluation;

/// <summary>
/// The base model's logits at the scored positions, window by window: float32 exactly as the engine
/// produced them (so the base is reproduced bit for bit when it is compared with a scheme). Held in
/// memory up to a limit, beyond it in a temporary file that is deleted when the store is disposed
/// (and by the OS when the process dies: the file is opened delete-on-close).
/// </summary>
internal sealed class LogitStore : IDisposable
{
    private readonly float[][]? _memory;
    private readonly SafeFileHandle? _file;
    private readonly long[] _offsets;
    private readonly int[] _lengths;

    public LogitStore(IReadOnlyList<int> floatsPerWindow, long inMemoryLimitBytes, string? directory)
    {
        _offsets = new long[floatsPerWindow.Count];
        _lengths = [.. floatsPerWindow];
        long total = 0;
        for (int i = 0; i < _lengths.Length; i++)
        {
            _offsets[i] = total;
            total += _lengths[i];
        }
        TotalBytes = total * sizeof(float);
        if (TotalBytes <= inMemoryLimitBytes)
        {
            _memory = new float[_lengths.Length][];
        }
        else
        {
            string folder = directory ?? System.IO.Path.GetTempPath();
            Path = System.IO.Path.Combine(folder, $"quant-eval-base-{Guid.NewGuid():N}.f32");
            _file = File.OpenHandle(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose, TotalBytes);
        }
    }

    /// <summary>Bytes of logits stored.</summary>
    public long TotalBytes { get; }

    /// <summary>The temporary file, or null when the logits are in memory.</summary>
    public string? Path { get; }

    public void Write(int window, ReadOnlySpan<float> logits)
    {
        Check(window, logits.Length);
        if (_memory is not null)
        {
            _memory[window] = logits.ToArray();
        }
        else
        {
            RandomAccess.Write(_file!, MemoryMarshal.AsBytes(logits), _offsets[window] * sizeof(float));
        }
    }

    public void Read(int window, Span<float> logits)
    {
        Check(window, logits.Length);
        if (_memory is not null)
        {
            (_memory[window] ?? throw new InvalidOperationException($"window {window} was never stored")).CopyTo(logits);
            return;
        }
        var bytes = MemoryMarshal.AsBytes(logits);
        long offset = _offsets[window] * sizeof(float);
        while (!bytes.IsEmpty)
        {
            int read = RandomAccess.Read(_file!, bytes, offset);
            if (read <= 0)
            {
                throw new IOException($"the base logits file '{Path}' ended early");
            }
            bytes = bytes[read..];
            offset += read;
        }
    }

    private void Check(int window, int length)
    {
        if (length != _lengths[window])
        {
            throw new ArgumentException($"window {window} holds {_lengths[window]} logits, not {length}");
        }
    }

    public void Dispose() => _file?.Dispose();
}
