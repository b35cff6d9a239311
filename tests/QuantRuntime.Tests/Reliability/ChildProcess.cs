using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace QuantRuntime.Tests.Reliability;

/// <summary>
/// Runs the built <c>quant</c> as a child process and measures it honestly. Linux keeps the
/// peak resident set of the memory a process had before exec in its ru_maxrss, so a child
/// spawned straight from the test host would report the host's 150+ MB. The child is therefore
/// run under GNU time (<c>/usr/bin/time</c>, which forks it from its own small process and
/// reads wait4's rusage: the child's own peak RSS and CPU time); without GNU time, the peak is
/// /proc/PID/status VmHWM polled every millisecond until exit (a lower bound). Standard output
/// and error go to files, so a test can watch output arrive and signal the child.
/// </summary>
internal static partial class ChildProcess
{
    /// <summary>How a run ended.</summary>
    /// <param name="ExitCode">The exit status, or -1 when a signal ended the child.</param>
    /// <param name="Signal">The signal that ended the child, or 0.</param>
    /// <param name="Wall">From spawn to exit.</param>
    /// <param name="Cpu">User plus system CPU time of the child.</param>
    /// <param name="PeakResidentBytes">The child's peak resident set (ru_maxrss).</param>
    public sealed record Result(int ExitCode, int Signal, string StandardOutput, string StandardError, TimeSpan Wall, TimeSpan Cpu, long PeakResidentBytes)
    {
        public string[] ErrorLines => StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"exit {ExitCode} signal {Signal}, {Wall.TotalMilliseconds:F0} ms wall, {Cpu.TotalMilliseconds:F0} ms CPU, peak RSS {PeakResidentBytes / 1048576.0:F1} MiB; stderr: {StandardError.Trim()}");
    }

    /// <summary>A started child.</summary>
    public sealed class Running : IDisposable
    {
        private readonly string _folder;
        private readonly bool _timed;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _polledPeakKb;
        private Result? _result;

        internal Running(int pid, string folder, bool timed)
        {
            Pid = pid;
            _folder = folder;
            _timed = timed;
        }

        /// <summary>The spawned process (GNU time when it wraps quant).</summary>
        public int Pid { get; }

        /// <summary>The quant process itself, once it has started (null before).</summary>
        public int? QuantPid => _timed ? ChildOf(Pid) : Pid;

        /// <summary>Standard output so far.</summary>
        public string StandardOutputSoFar => ReadShared(Path.Combine(_folder, "stdout"));

        /// <summary>
        /// Sends <paramref name="signal"/> if quant is running; false when it has not started yet or has
        /// already exited (the two cannot be told apart race-free, and a kill test accepts either).
        /// </summary>
        public bool TrySignal(int signal) => QuantPid is int pid && _result is null && kill(pid, signal) == 0;

        /// <summary>Sends <paramref name="signal"/> (2 = SIGINT, 9 = SIGKILL, 15 = SIGTERM).</summary>
        public void Signal(int signal)
        {
            int pid = QuantPid ?? throw new InvalidOperationException("quant has not started");
            if (_result is null && kill(pid, signal) != 0)
            {
                throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        /// <summary>Waits for the exit (killing the child after <paramref name="timeout"/>) and reaps it.</summary>
        public Result Wait(TimeSpan timeout)
        {
            if (_result is not null)
            {
                return _result;
            }
            var usage = new byte[256];
            var deadline = _clock.Elapsed + timeout;
            bool killed = false;
            while (true)
            {
                int reaped = wait4(Pid, out int status, 1 /* WNOHANG */, usage);
                if (reaped == Pid)
                {
                    var wall = _clock.Elapsed;
                    int exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1, signal = status & 0x7F;
                    long cpuMicros = Micros(usage, 0) + Micros(usage, 16);
                    long peakKb = _polledPeakKb;
                    if (_timed)
                    {
                        // GNU time's report: "%x %M %U %S" (exit status, peak KB, user and system seconds),
                        // after a "Command terminated by signal N" line when a signal ended quant.
                        string[] lines = File.ReadAllLines(Path.Combine(_folder, "rusage")).Where(l => l.Length > 0).ToArray();
                        string[] fields = lines[^1].Split(' ');
                        exitCode = int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
                        peakKb = long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                        cpuMicros = (long)((double.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture)) * 1e6);
                        signal = 0;
                        if (lines.Length > 1 && lines[0].StartsWith("Command terminated by signal ", StringComparison.Ordinal))
                        {
                            signal = int.Parse(lines[0]["Command terminated by signal ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                            exitCode = -1;
                        }
                    }
                    _result = new Result(exitCode, signal,
                        ReadShared(Path.Combine(_folder, "stdout")), ReadShared(Path.Combine(_folder, "stderr")),
                        wall, TimeSpan.FromMicroseconds(cpuMicros), peakKb * 1024);
                    if (killed)
                    {
                        throw new TimeoutException($"child did not finish in {timeout.TotalSeconds} s: {_result}");
                    }
                    return _result;
                }
                if (reaped < 0)
                {
                    throw new InvalidOperationException($"wait4({Pid}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                if (!killed && _clock.Elapsed > deadline)
                {
                    if (QuantPid is int quant)
                    {
                        kill(quant, 9);
                    }
                    kill(Pid, 9);
                    killed = true;
                }
                if (!_timed)
                {
                    _polledPeakKb = Math.Max(_polledPeakKb, HighWaterMarkKb(Pid));
                }
                Thread.Sleep(1);
            }
        }

        public void Dispose()
        {
            if (_result is null)
            {
                if (QuantPid is int quant)
                {
                    kill(quant, 9);
                }
                kill(Pid, 9);
                Wait(TimeSpan.FromSeconds(30));
            }
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static long HighWaterMarkKb(int pid)
        {
            try
            {
                foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
            }
            return 0;
        }

        private static int? ChildOf(int parent)
        {
            foreach (string folder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), out int pid))
                {
                    continue;
                }
                try
                {
                    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                    string stat = File.ReadAllText(Path.Combine(folder, "stat"));
                    string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) == parent)
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                }
            }
            return null;
        }

        private static long Micros(byte[] usage, int offset) => BitConverter.ToInt64(usage, offset) * 1_000_000 + BitConverter.ToInt64(usage, offset + 8);
    }

    private const string GnuTime = "/usr/bin/time";

    /// <summary>Whether children can be started this way (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && File.Exists("/bin/sh");

    /// <summary>Runs <c>quant</c> with <paramref name="arguments"/> to completion.</summary>
    /// <param name="shellSetup">Shell commands run before exec'ing quant, e.g. <c>ulimit -f 64</c>.</param>
    public static Result RunQuant(string[] arguments, string? shellSetup = null, TimeSpan? timeout = null)
    {
        using var child = StartQuant(arguments, shellSetup);
        return child.Wait(timeout ?? TimeSpan.FromMinutes(2));
    }

    /// <summary>Starts <c>quant</c>: <c>/bin/sh -c 'SETUP; exec dotnet quant.dll ARGS'</c>, so the child is quant itself.</summary>
    public static Running StartQuant(string[] arguments, string? shellSetup = null)
    {
        string folder = Path.Combine(Path.GetTempPath(), "quant-child-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string dll = Path.Combine(AppContext.BaseDirectory, "quant.dll");
        bool timed = File.Exists(GnuTime);
        string time = timed ? $"{GnuTime} -o '{Path.Combine(folder, "rusage")}' -f '%x %M %U %S' " : "";
        string script = $"exec {time}\"$0\" \"$@\" <" + "/dev/null >'" + Path.Combine(folder, "stdout") + "' 2>'" + Path.Combine(folder, "stderr") + "'";
        // The setup (ulimit, trap) runs in a shell between GNU time and quant, so it binds quant alone; that shell execs quant.
        string[] quant = shellSetup is null
            ? ["dotnet", dll, .. arguments]
            : ["/bin/sh", "-c", shellSetup + "; exec \"$0\" \"$@\"", "dotnet", dll, .. arguments];
        string[] argv = ["/bin/sh", "-c", script, .. quant];
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => (string)e.Key is not "NO_COLOR")
            .Select(e => $"{e.Key}={e.Value}")
            .Append("NO_COLOR=1")
            .ToArray();
        var pointers = new List<IntPtr>();
        try
        {
            IntPtr[] Strings(string[] values)
            {
                var array = new IntPtr[values.Length + 1];
                for (int i = 0; i < values.Length; i++)
                {
                    array[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
                    pointers.Add(array[i]);
                }
                return array;
            }
            int error = posix_spawn(out int pid, "/bin/sh", IntPtr.Zero, IntPtr.Zero, Strings(argv), Strings(environment));
            if (error != 0)
            {
                throw new InvalidOperationException($"posix_spawn failed: {error}");
            }
            return new Running(pid, folder, timed);
        }
        finally
        {
            pointers.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, IntPtr[] argv, IntPtr[] envp);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int wait4(int pid, out int status, int options, byte[] usage);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
