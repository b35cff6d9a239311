namespace QuantRuntime.Tests.Reliability;

/// <summary>A fact that needs Linux (posix_spawn, wait4, signals, /proc); skipped elsewhere with the reason.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!ChildProcess.IsSupported)
        {
            Skip = "needs Linux: the child is started with posix_spawn and measured with wait4";
        }
    }
}

/// <summary>A theory that needs Linux; skipped elsewhere with the reason.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!ChildProcess.IsSupported)
        {
            Skip = "needs Linux: the child is started with posix_spawn and measured with wait4";
        }
    }
}
