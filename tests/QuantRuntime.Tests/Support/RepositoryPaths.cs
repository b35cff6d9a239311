namespace QuantRuntime.Tests.Support;

/// <summary>Locates the repository root and the read-only shared fixtures beside it.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QuantRuntime.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("QuantRuntime.sln not found above the test binaries");
    });

    /// <summary>The repository root (the folder holding QuantRuntime.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>The shared fixtures folder, <c>../shared</c> from the repository root.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    /// <summary>Whether the shared fixtures are present (a user's clone has none).</summary>
    public static bool HasShared => Directory.Exists(Path.Combine(Shared, "models", "stories260K"));

    /// <summary>The stories260K llama2.c checkpoint.</summary>
    public static string Stories260K => Path.Combine(Shared, "models", "stories260K", "stories260K.bin");

    /// <summary>A file of the stories260K reference outputs.</summary>
    public static string Stories260KReference(string name) => Path.Combine(Shared, "reference", "stories260K", name);
}
