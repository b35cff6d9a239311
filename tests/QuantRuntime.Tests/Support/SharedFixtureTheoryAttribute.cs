namespace QuantRuntime.Tests.Support;

/// <summary>A theory that needs <c>../shared</c>; skipped with the reason when the folder is absent.</summary>
public sealed class SharedFixtureTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips the test when the shared fixtures are missing.</summary>
    public SharedFixtureTheoryAttribute()
    {
        if (!RepositoryPaths.HasShared)
        {
            Skip = $"shared fixtures not found at {RepositoryPaths.Shared} (only present on the project's machines and CI)";
        }
    }
}
