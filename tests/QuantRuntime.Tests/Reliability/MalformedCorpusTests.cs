using QuantRuntime.Formats;
using QuantRuntime.Models;
using QuantRuntime.Tests.Reliability.Fuzzing;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Reliability;

/// <summary>
/// Every file of the malformed corpus, given to the real <c>quant info</c>: exit code 2, one
/// line on standard error naming the file and the problem, no stack trace, in under a second of
/// wall and CPU time and under 100 MB of peak resident memory (the child's own, from wait4).
/// </summary>
public sealed class MalformedCorpusTests(ITestOutputHelper output)
{
    private const long MemoryLimit = 100L << 20;

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in MalformedCorpus.Cases)
        {
            data.Add(c.Name);
        }
        return data;
    }

    [Fact]
    public void Corpus_HasAtLeastThirtyDistinctFiles()
    {
        Assert.True(MalformedCorpus.Cases.Count >= 30);
        Assert.Equal(MalformedCorpus.Cases.Count, MalformedCorpus.Cases.Select(c => c.Name).Distinct().Count());
        Assert.Equal(MalformedCorpus.Cases.Count, MalformedCorpus.Cases.Select(c => c.Expected).Distinct().Count()); // each its own message
    }

    [LinuxTheory]
    [MemberData(nameof(CaseNames))]
    public void Info_GivesTheSpecificErrorQuicklyInLittleMemory(string name)
    {
        var corpusCase = MalformedCorpus.Cases.Single(c => c.Name == name);
        using var folder = new TempDirectory();
        string path = folder.File(name);
        corpusCase.Create?.Invoke(path);

        // The fastest of up to five runs, so a busy machine's scheduling delay is not counted as the reader's.
        ChildProcess.Result? best = null;
        for (int attempt = 0; attempt < 5 && (best is null || best.Wall >= TimeSpan.FromSeconds(1)); attempt++)
        {
            var result = ChildProcess.RunQuant(["info", "-m", path]);
            output.WriteLine(result.ToString());
            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.ErrorLines);
            Assert.StartsWith("error: ", line);
            Assert.Contains(path, line);
            Assert.Contains(corpusCase.Expected, line);
            Assert.DoesNotContain('\u001b', result.StandardError);
            Assert.Empty(result.StandardOutput);
            Assert.True(result.PeakResidentBytes < MemoryLimit, result.ToString());
            Assert.True(result.Cpu < TimeSpan.FromSeconds(1), result.ToString());
            best = best is null || result.Wall < best.Wall ? result : best;
        }
        if (best!.Wall >= TimeSpan.FromSeconds(1) && Overloaded(out double load))
        {
            // CPU time (asserted above) is the work done; wall time on a machine running several times more
            // work than it has cores measures the queue, so it is reported rather than asserted.
            output.WriteLine($"wall {best.Wall.TotalMilliseconds:F0} ms not asserted: load average {load} on {Environment.ProcessorCount} cores");
            return;
        }
        Assert.True(best.Wall < TimeSpan.FromSeconds(1), best.ToString());
    }

    private static bool Overloaded(out double load)
    {
        load = 0;
        return File.Exists("/proc/loadavg")
            && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out load)
            && load > 2 * Environment.ProcessorCount;
    }

    [Fact]
    public void EveryStructuralBoundary_TruncatedGguf_NamesTheTruncation()
    {
        using var folder = new ScratchFolder();
        foreach (var seed in FuzzSeeds.All.Where(s => s.Gguf is not null))
        {
            var image = seed.Gguf!;
            int dataStart = seed.Bytes.Length - image.Data.Length;
            var cuts = new SortedSet<int> { 0, 4, 8, 16, 24, dataStart - 1, dataStart, seed.Bytes.Length - 1 };
            foreach (var (offset, size) in seed.Fields)
            {
                cuts.Add(offset);
                cuts.Add(offset + size / 2);
                cuts.Add(offset + size);
            }
            foreach (var tensor in image.Tensors)
            {
                cuts.Add(dataStart + (int)tensor.Offset);
                cuts.Add(dataStart + (int)tensor.Offset + 1);
            }
            string path = folder.File(seed.Name);
            foreach (int length in cuts.Where(n => n < seed.Bytes.Length))
            {
                File.WriteAllBytes(path, seed.Bytes[..length]);
                var e = Assert.Throws<ModelFormatException>(() => ModelFile.Open(path).Dispose());
                Assert.Matches("too short|truncated|extends past the end of the file|more than the file can hold", e.Message);
            }
            output.WriteLine($"{seed.Name}: {cuts.Count} cuts");
        }
    }

    [Fact]
    public void EveryStructuralBoundary_TruncatedLlama2c_NamesTheSizeMismatch()
    {
        using var folder = new ScratchFolder();
        foreach (var seed in FuzzSeeds.All.Where(s => s.Gguf is null))
        {
            string path = folder.File(seed.Name);
            // Inside the header, at every tensor boundary of the shared seed's layout, and one float short.
            var cuts = new SortedSet<int>(Enumerable.Range(0, 29)) { seed.Bytes.Length - 4, seed.Bytes.Length - 1 };
            for (int at = 28; at < seed.Bytes.Length; at += 32 * 4)
            {
                cuts.Add(at);
            }
            foreach (int length in cuts)
            {
                File.WriteAllBytes(path, seed.Bytes[..length]);
                var e = Assert.Throws<ModelFormatException>(() => ModelFile.Open(path).Dispose());
                Assert.Matches(length < 28 ? "too short for a llama2.c checkpoint header" : "llama2.c checkpoint is \\d+ bytes, but its header .* implies", e.Message);
            }
        }
    }
}
