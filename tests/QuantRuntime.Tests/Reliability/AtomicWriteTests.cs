using System.Security.Cryptography;
using QuantRuntime.IO;
using QuantRuntime.Models;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Reliability;

/// <summary>
/// Every file <c>quant</c> writes appears whole or not at all, tested on the real executable with
/// real faults: the file-size limit (RLIMIT_FSIZE, set with ulimit in the child) makes a write fail
/// midway with EFBIG as a full disk would, or — with SIGXFSZ left at its default — kills the process
/// at that very write. Either way the output keeps its previous content, the input is untouched, and
/// no other file is left in the folder. quantize is also killed (SIGKILL) at random moments.
/// </summary>
public sealed class AtomicWriteTests(ITestOutputHelper output)
{
    private const string OldContent = "the previous version of this output\n";

    public static TheoryData<string> Writers => new() { "quantize", "logits", "eval --csv", "eval --plot" };

    /// <summary>
    /// The runtime's W^X double mapping sizes a shared-memory file at startup, which the file-size
    /// limit would refuse before Main; with it off the limit hits only quant's own writes.
    /// </summary>
    private const string NoDoubleMapping = "export DOTNET_EnableWriteXorExecute=0";

    /// <summary>
    /// The report on standard output (a file here) is bound by the same size limit; sent to /dev/null it
    /// cannot reach the limit before the output file under test does.
    /// </summary>
    private const string QuietStdout = "exec >/dev/null";

    private static string[] Command(string writer, string model, string target)
    {
        string ids = Path.Combine(Path.GetDirectoryName(model)!, "ids.txt");
        File.WriteAllText(ids, string.Join(',', Enumerable.Range(0, 48).Select(i => 3 + i * 7 % 290)));
        return writer switch
        {
            "quantize" => ["quantize", "-m", model, "-o", target, "--scheme", "q8_0", "--json"],
            "logits" => ["logits", "-m", model, "--prompt-ids", "1,5,9,13,17,21,25,29", "-o", target],
            "eval --csv" => ["eval", "-m", model, "--ids", ids, "--schemes", "q8_0,q4_0,int4-g32,int8-g32", "--ctx", "16", "--json", "--csv", target],
            "eval --plot" => ["eval", "-m", model, "--ids", ids, "--schemes", "q8_0,q4_0", "--ctx", "16", "--json", "--plot", target],
            _ => throw new ArgumentException(writer),
        };
    }

    private static string TargetName(string writer) => writer switch
    {
        "quantize" => "out.gguf",
        "logits" => "logits.f32",
        "eval --csv" => "eval.csv",
        _ => "eval.png",
    };

    private static byte[] Hash(string path) => SHA256.HashData(File.ReadAllBytes(path));

    private static string[] Files(string folder) => [.. Directory.GetFileSystemEntries(folder).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    [LinuxTheory]
    [MemberData(nameof(Writers))]
    public void FullDiskOrKillMidWrite_LeavesThePreviousOutputAndNothingElse(string writer)
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSeed(folder.Path, "llama-f32-spm.gguf");
        string target = folder.File(TargetName(writer));
        byte[] modelHash = Hash(model);

        // A clean run gives the output's size, so the limit can fall in the middle of it.
        var clean = ChildProcess.RunQuant(Command(writer, model, target));
        Assert.True(clean.ExitCode == 0, clean.ToString());
        long size = new FileInfo(target).Length;
        int blocks = (int)(size / 2 / 512);
        output.WriteLine($"{writer}: {size} bytes; limit {blocks} x 512 bytes");
        Assert.True(blocks >= 1, $"{writer} wrote only {size} bytes; the fault must land inside the file");

        File.WriteAllText(target, OldContent);

        // Full disk: the write fails with EFBIG, quant reports it and exits 1.
        var full = ChildProcess.RunQuant(Command(writer, model, target), shellSetup: $"{NoDoubleMapping}; {QuietStdout}; ulimit -f {blocks}; trap '' XFSZ");
        output.WriteLine(full.ToString());
        Assert.True(full.ExitCode == 1, full.ToString());
        var line = Assert.Single(full.ErrorLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains($"cannot write '{target}': the file is larger than the file system or the file-size limit allows", line);
        Assert.Equal(OldContent, File.ReadAllText(target));
        Assert.Equal(modelHash, Hash(model));
        Assert.Equal(Files(folder.Path), new[] { Path.GetFileName(model), Path.GetFileName(target), "ids.txt" }.Order(StringComparer.Ordinal));

        // Killed at the write (SIGXFSZ at its default): no cleanup code runs, still nothing partial anywhere.
        var killed = ChildProcess.RunQuant(Command(writer, model, target), shellSetup: $"{NoDoubleMapping}; {QuietStdout}; ulimit -f {blocks}");
        output.WriteLine(killed.ToString());
        Assert.True(killed.Signal == 25, killed.ToString()); // SIGXFSZ
        Assert.Equal(OldContent, File.ReadAllText(target));
        Assert.Equal(modelHash, Hash(model));
        Assert.Equal(Files(folder.Path), new[] { Path.GetFileName(model), Path.GetFileName(target), "ids.txt" }.Order(StringComparer.Ordinal));
    }

    [LinuxFact]
    public void QuantizeKilledAtRandomMoments_LeavesTheOldOutputOrTheWholeNewOne()
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSlow(folder.Path);
        string target = folder.File("out.gguf");
        string[] command = ["quantize", "-m", model, "-o", target, "--scheme", "q4_0", "-t", "1"];
        var clean = ChildProcess.RunQuant(command);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        byte[] complete = File.ReadAllBytes(target);
        byte[] modelHash = Hash(model);

        var random = new Random(7);
        int old = 0, replaced = 0;
        for (int attempt = 0; attempt < 6; attempt++)
        {
            File.WriteAllText(target, OldContent);
            using var child = ChildProcess.StartQuant(command);
            Thread.Sleep(TimeSpan.FromMilliseconds(random.Next(100, (int)Math.Max(200, clean.Wall.TotalMilliseconds * 1.2))));
            child.TrySignal(9);
            var result = child.Wait(TimeSpan.FromMinutes(1));
            output.WriteLine(result.ToString());
            byte[] now = File.ReadAllBytes(target);
            if (now.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetBytes(OldContent)))
            {
                old++;
            }
            else
            {
                Assert.Equal(complete, now);
                using var file = ModelFile.Open(target);
                replaced++;
            }
            Assert.Equal(modelHash, Hash(model));
            Assert.Equal(Files(folder.Path), new[] { "out.gguf", "slow.gguf" });
        }
        output.WriteLine($"{old} kills left the old output, {replaced} came after the rename");
    }

    [LinuxFact]
    public void WhileWriting_TheFileHasNoNameInTheFolder()
    {
        using var folder = new TempDirectory();
        string[]? during = null;
        AtomicFile.Write(folder.File("x.bin"), stream =>
        {
            stream.Write(new byte[100_000]);
            stream.Flush();
            during = Files(folder.Path);
        });
        Assert.Empty(during!);
        Assert.Equal(["x.bin"], Files(folder.Path));
        Assert.Equal(100_000, new FileInfo(folder.File("x.bin")).Length);
    }
}
