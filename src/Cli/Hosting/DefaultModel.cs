namespace QuantRuntime.Cli.Hosting;

/// <summary>
/// The model <c>quant</c> uses when <c>-m</c> is omitted: the project's own arith-reasoner, shipped
/// in models/. It is found next to the executable (the installed tool carries it there) or in a
/// models/ folder above it or above the current folder (a repository checkout).
/// </summary>
internal static class DefaultModel
{
    /// <summary>File name of the shipped model.</summary>
    public const string FileName = "arith-reasoner.gguf";

    /// <summary>Where the installed tool keeps it.</summary>
    public static string BesideExecutable => Path.Combine(AppContext.BaseDirectory, "models", FileName);

    /// <summary>The shipped model's path, or null when it is nowhere to be found.</summary>
    public static string? Find()
    {
        if (File.Exists(BesideExecutable))
        {
            return BesideExecutable;
        }
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
