namespace QuantRuntime.Tests.Support;

/// <summary>A fact that needs <c>../shared</c>; skipped with the reason when the folder is absent (CI checks it exists).</summary>
public sealed class SharedFixtureFactAttribute : FactAttribute
{
    /// <summary>Skips the test when the shared fixtures are missing.</summary>
    public SharedFixtureFactAttribute()
    {
        if (!RepositoryPaths.HasShared)
        {
            Skip = $"shared fixtures not found at {RepositoryPaths.Shared} (only present on the project's machines and CI)";
        }
    }
}
