using QuantRuntime.Formats;
using QuantRuntime.Tests.Reliability.Fuzzing;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Reliability;

/// <summary>
/// The short fuzzing run of every model reader (the long one, 100,000 cases, runs in CI's slow step;
/// docs/RELIABILITY.md): mutants of valid GGUF and llama2.c files either load or fail with
/// ModelFormatException, quickly and without large allocations.
/// </summary>
public sealed class ReaderFuzzingTests(ITestOutputHelper output)
{
    /// <summary>The CI run: case numbers 0 to 4,999 of seed 9.</summary>
    public const int Seed = 9;
    public const int Cases = 5_000;

    /// <summary>The long run of CI's slow step: case numbers 0 to 99,999 of the same seed.</summary>
    public const int LongCases = 100_000;

    [Fact]
    public void Seeds_AllLoadAndRun()
    {
        using var folder = new TempDirectory();
        foreach (var seed in FuzzSeeds.All)
        {
            string path = folder.File(seed.Name);
            File.WriteAllBytes(path, seed.Bytes);
            var outcome = ModelFuzzer.Load(path, out string? message, out Exception? error);
            Assert.True(outcome == ModelFuzzer.Outcome.Ran, $"{seed.Name}: {outcome} {message} {error}");
        }
    }

    [Fact]
    public void Mutants_AreReproducibleFromTheirCaseNumber()
    {
        using var folder = new TempDirectory();
        var fuzzer = new ModelFuzzer(folder.Path);
        for (int i = 0; i < 50; i++)
        {
            var a = fuzzer.MutantOf(Seed, i);
            var b = fuzzer.MutantOf(Seed, i);
            Assert.Equal(a.Edits, b.Edits);
            Assert.Equal(a.Bytes, b.Bytes);
        }
    }

    [Fact]
    public void ShortRun_OnlyModelFormatException()
    {
        using var folder = new ScratchFolder();
        var report = new ModelFuzzer(folder.Path).Run(Seed, Cases);
        output.WriteLine(report.ToString());
        foreach (var (message, count) in report.Messages.OrderByDescending(m => m.Value).Take(60))
        {
            output.WriteLine($"{count,6}  {message}");
        }
        string crashes = string.Join("\n\n", report.Crashes.Take(5).Select(c => $"case {c.Case} ({c.Edits}):\n{c.Error}"));
        Assert.True(report.Crashes.Count == 0, $"{report.Crashes.Count} crashes; first:\n{crashes}");
        Assert.Equal(Cases, report.Cases);
        // The mutants reach past the header parser: some load, many distinct checks reject.
        Assert.True(report.Loaded > 0, report.ToString());
        Assert.True(report.Messages.Count >= 40, report.ToString());
        Assert.True(report.LargestAllocation < 256L << 20, report.ToString());
        Assert.True(report.SlowestCaseMs < 2_000, report.ToString());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void LongRun_OnlyModelFormatException()
    {
        using var folder = new ScratchFolder();
        var report = new ModelFuzzer(folder.Path).Run(Seed, LongCases);
        output.WriteLine(report.ToString());
        string crashes = string.Join("\n\n", report.Crashes.Take(5).Select(c => $"case {c.Case} ({c.Edits}):\n{c.Error}"));
        Assert.True(report.Crashes.Count == 0, $"{report.Crashes.Count} crashes; first:\n{crashes}");
        Assert.Equal(LongCases, report.Cases);
        Assert.True(report.LargestAllocation < 256L << 20, report.ToString());
        Assert.True(report.SlowestCaseMs < 2_000, report.ToString());
    }
}
