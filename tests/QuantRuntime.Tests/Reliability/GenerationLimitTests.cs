using System.Text.Json;
using QuantRuntime.Tests.Support;
using Xunit.Abstractions;

namespace QuantRuntime.Tests.Reliability;

/// <summary>
/// <c>quant generate</c> at its limits, run as a user would: a prompt that does not fit, invalid
/// sampling values, empty prompts, prompt files that are not UTF-8, a context a file lies about,
/// and Ctrl-C. Every refusal is one line and exit code 2; an interrupt prints the summary and exits 130.
/// </summary>
public sealed class GenerationLimitTests(ITestOutputHelper output)
{
    private static readonly string Llama = "llama-f32-spm.gguf";

    private static ChildProcess.Result Quant(params string[] arguments) => ChildProcess.RunQuant(arguments);

    private static void AssertRefused(ChildProcess.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", result.StandardError);
    }

    [LinuxFact]
    public void PromptPlusTokensBeyondTheContext_IsRefusedBeforeGenerating()
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSeed(folder.Path, Llama);
        AssertRefused(Quant("generate", "-m", model, "--prompt-ids", "1,2,3", "-n", "62", "--temp", "0"), "prompt (3 tokens) plus 62 new tokens exceed the context of 64");
        AssertRefused(Quant("generate", "-m", model, "--prompt-ids", "1", "-n", "8", "--ctx", "4"), "prompt (1 tokens) plus 8 new tokens exceed the context of 4");
        // Exactly full is fine.
        var full = Quant("generate", "-m", model, "--prompt-ids", "1,2,3", "-n", "61", "--temp", "0", "--json");
        Assert.True(full.ExitCode == 0, full.ToString());
        using var json = JsonDocument.Parse(full.StandardOutput);
        Assert.True(json.RootElement.GetProperty("generated_tokens").GetInt32() <= 61);
    }

    [LinuxTheory]
    [InlineData("--temp", "-1", "temperature -1 must be a finite number >= 0")]
    [InlineData("--temp", "NaN", "temperature NaN must be a finite number >= 0")]
    [InlineData("--temp", "Infinity", "temperature Infinity must be a finite number >= 0")]
    [InlineData("--top-k", "-3", "top-k -3 must be >= 0")]
    [InlineData("--top-p", "0", "top-p 0 must be in (0, 1]")]
    [InlineData("--top-p", "1.5", "top-p 1.5 must be in (0, 1]")]
    [InlineData("--min-p", "-0.1", "min-p -0.1 must be in [0, 1]")]
    [InlineData("--repeat-penalty", "0", "repetition penalty 0 must be a finite number > 0")]
    [InlineData("--n-predict=-1", null, "the number of tokens to generate (-1) must be >= 0")]
    [InlineData("--temp", "warm", "Cannot parse argument 'warm' for option '--temp'")]
    public void InvalidSamplingValue_IsOneLineExit2(string option, string? value, string expected)
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSeed(folder.Path, Llama);
        var result = value is null
            ? Quant("generate", "-m", model, "-p", "Hello", option)
            : Quant("generate", "-m", model, "-p", "Hello", "-n", "4", option, value);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(result.ErrorLines, line => line.StartsWith("error: ", StringComparison.Ordinal) && line.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", result.StandardError);
    }

    [LinuxFact]
    public void EmptyPrompts_AreRefused()
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSeed(folder.Path, Llama);
        AssertRefused(Quant("generate", "-m", model, "-p", ""), "--prompt is empty");
        AssertRefused(Quant("generate", "-m", model, "--prompt-ids", ""), "--prompt-ids is empty");
        AssertRefused(Quant("generate", "-m", model, "--prompt-ids", " , "), "--prompt-ids is empty");
        string empty = folder.File("empty.txt");
        File.WriteAllBytes(empty, []);
        AssertRefused(Quant("generate", "-m", model, "-f", empty), $"--file: '{empty}' is empty");
        string bomOnly = folder.File("bom.txt");
        File.WriteAllBytes(bomOnly, [0xEF, 0xBB, 0xBF]);
        AssertRefused(Quant("generate", "-m", model, "-f", bomOnly), $"--file: '{bomOnly}' is empty");
        AssertRefused(Quant("generate", "-m", model), "give exactly one of --prompt, --file and --prompt-ids");
        AssertRefused(Quant("generate", "-m", model, "-p", "a", "--prompt-ids", "1"), "give exactly one of --prompt, --file and --prompt-ids");
    }

    [LinuxTheory]
    [InlineData(new byte[] { 0x48, 0x69, 0xFF, 0x21 }, 2)] // a byte that never occurs in UTF-8
    [InlineData(new byte[] { 0x48, 0xC3, 0x28 }, 1)] // a lead byte without its continuation
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x41, 0xED, 0xA0, 0x80 }, 4)] // after a BOM, a UTF-16 surrogate encoded as UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF }, 0)] // an overlong '/'
    public void PromptFileWithInvalidUtf8_IsOneLineNamingTheFile(byte[] content, int at)
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSeed(folder.Path, Llama);
        string prompt = folder.File("prompt.txt");
        File.WriteAllBytes(prompt, content);
        AssertRefused(Quant("generate", "-m", model, "-f", prompt, "-n", "4"), $"--file: '{prompt}' is not valid UTF-8 text at byte {at}");
    }

    [LinuxFact]
    public void PromptFile_GeneratesWhatTheSameTextDoes()
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSeed(folder.Path, Llama);
        string prompt = folder.File("prompt.txt");
        File.WriteAllBytes(prompt, [0xEF, 0xBB, 0xBF, .. "Hello world, the 123"u8]);
        var fromFile = Quant("generate", "-m", model, "-f", prompt, "-n", "12", "--temp", "0", "--json");
        var fromText = Quant("generate", "-m", model, "-p", "Hello world, the 123", "-n", "12", "--temp", "0", "--json");
        Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
        Assert.True(fromText.ExitCode == 0, fromText.ToString());
        using (JsonDocument a = JsonDocument.Parse(fromText.StandardOutput), b = JsonDocument.Parse(fromFile.StandardOutput))
        {
            foreach (string property in new[] { "prompt_ids", "ids", "text" })
            {
                Assert.Equal(a.RootElement.GetProperty(property).GetRawText(), b.RootElement.GetProperty(property).GetRawText());
            }
        }

        AssertRefused(Quant("generate", "-m", model, "-f", folder.File("absent.txt")), $"prompt file '{folder.File("absent.txt")}' does not exist");
        AssertRefused(Quant("generate", "-m", model, "-f", folder.Path), $"--file: '{folder.Path}' is a folder, not a prompt file");
    }

    [LinuxFact]
    public void ContextTheFileClaims_IsNotAllocatedUpFront()
    {
        // 2^24 positions (the most TransformerConfig accepts) would be a 4 GiB KV cache for this tiny model;
        // generation sizes its cache to the prompt plus the tokens asked for.
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteWithContext(folder.Path, 1u << 24);
        var result = Quant("generate", "-m", model, "-p", "Hello", "-n", "8", "--temp", "0");
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(result.PeakResidentBytes < 200L << 20, result.ToString());
    }

    [LinuxFact]
    public void CtrlC_StopsCleanlyPrintsTheSummaryAndExits130()
    {
        using var folder = new TempDirectory();
        string model = ReliabilityModels.WriteSlow(folder.Path);
        using var child = ChildProcess.StartQuant(["generate", "-m", model, "--prompt-ids", "1,2,3", "-n", "16000", "--temp", "0", "-t", "1"]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (child.StandardOutputSoFar.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 20)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"no tokens after 90 s: {child.StandardOutputSoFar}");
            Thread.Sleep(20);
        }
        child.Signal(2); // SIGINT, as Ctrl-C sends
        var result = child.Wait(TimeSpan.FromSeconds(30));
        output.WriteLine(result.ToString());
        Assert.Equal(130, result.ExitCode);
        var summary = Assert.Single(result.ErrorLines);
        var match = System.Text.RegularExpressions.Regex.Match(summary, @"^prompt: 3 tokens, [\d.]+ tok/s \| generated: (\d+) tokens, [\d.]+ tok/s \| stop: Cancelled$");
        Assert.True(match.Success, summary);
        int generated = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(generated, 20, 15999);
        // Every generated id was printed before the summary.
        Assert.Equal(generated, result.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length);
    }
}
