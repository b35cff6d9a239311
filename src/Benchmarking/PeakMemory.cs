namespace QuantRuntime.Benchmarking;

/// <summary>This process's peak resident set (Linux VmHWM), resettable so one phase can be measured on its own.</summary>
public static class PeakMemory
{
    /// <summary>Whether the platform reports it.</summary>
    public static bool IsSupported => File.Exists("/proc/self/status");

    /// <summary>Resets the peak to the current resident set (writes 5 to /proc/self/clear_refs); false when not possible.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Peak resident bytes since start or the last <see cref="Reset"/>, or null when unknown.</summary>
    public static long? PeakBytes()
    {
        if (!IsSupported)
        {
            return null;
        }
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return null;
    }
}
