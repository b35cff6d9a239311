using System.Text;
using LLama.Native;

namespace QuantRuntime.Tests.Oracle;

/// <summary>
/// Process-wide setup of llama.cpp through LLamaSharp: routes its log into a small in-memory
/// ring (so the console stays quiet and a failed load can say why) and loads the native library.
/// </summary>
public static class LlamaCppNative
{
    private const int KeptLines = 400;
    private static readonly object Gate = new();
    private static readonly Queue<(int Thread, string Line)> Lines = new();
    [ThreadStatic]
    private static StringBuilder? _partial;
    private static readonly NativeLogConfig.LLamaLogCallback Callback = OnLog;
    private static bool _loaded;

    /// <summary>Installs the log capture and loads the native library; safe to call any number of times from any thread.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded)
            {
                return;
            }
            // Before the first native call: LLamaSharp defers the callback until the library loads.
            NativeLogConfig.llama_log_set(Callback);
            NativeApi.llama_empty_call();
            // Once loaded, this passes the callback to llama.cpp itself (which forwards ggml's log too).
            NativeLogConfig.llama_log_set(Callback);
            _loaded = true;
        }
    }

    /// <summary>
    /// The most recent llama.cpp log lines (at most a few hundred), oldest first; with
    /// <paramref name="currentThreadOnly"/>, only those logged by calls made on this thread
    /// (llama.cpp logs model loading and context creation on the caller's thread).
    /// </summary>
    public static IReadOnlyList<string> RecentLog(bool currentThreadOnly = false)
    {
        int thread = Environment.CurrentManagedThreadId;
        lock (Lines)
        {
            return [.. Lines.Where(e => !currentThreadOnly || e.Thread == thread).Select(e => e.Line)];
        }
    }

    /// <summary>The last <paramref name="count"/> log lines of this thread, joined for an exception message.</summary>
    public static string LogTail(int count = 40)
    {
        var lines = RecentLog(currentThreadOnly: true);
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Count - count)));
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        // llama.cpp sends lines in pieces (level Continue) and ends them with '\n'.
        var partial = _partial ??= new StringBuilder();
        partial.Append(message);
        string text = partial.ToString();
        int end = text.LastIndexOf('\n');
        if (end < 0)
        {
            return;
        }
        partial.Remove(0, end + 1);
        int thread = Environment.CurrentManagedThreadId;
        lock (Lines)
        {
            foreach (string line in text[..end].Split('\n'))
            {
                Lines.Enqueue((thread, line));
            }
            while (Lines.Count > KeptLines)
            {
                Lines.Dequeue();
            }
        }
    }
}
