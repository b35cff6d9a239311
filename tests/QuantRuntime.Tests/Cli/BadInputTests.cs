using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Cli;

/// <summary>A broken model file gets one line naming the problem and exit code 2, never a stack trace.</summary>
public sealed class BadInputTests
{
    private static byte[] ValidImage()
    {
        var writer = new GgufWriter().Add("general.architecture", "llama");
        writer.AddTensor("t", TensorType.F32, [32, 2], new byte[256]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "truncated", "more than the file can hold (truncated or corrupt file)" },
        { "magic", "not a GGUF file (wrong magic" },
        { "unknown-type", "has unknown type id 99" },
        { "past-end", "extends past the end of the file" },
        { "missing", "does not exist" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Info_ReportsOneLineAndExitsWith2(string kind, string expected)
    {
        using var temp = new TempDirectory();
        string path = temp.File(kind + ".gguf");
        byte[] image = ValidImage();
        switch (kind)
        {
            case "truncated":
                File.WriteAllBytes(path, image[..40]);
                break;
            case "magic":
                image[0] = (byte)'X';
                File.WriteAllBytes(path, image);
                break;
            case "unknown-type":
                // The tensor's type id sits 12 bytes before the end of the header (type u32, offset u64).
                int typeAt = IndexOfTensorType(image);
                BitConverter.GetBytes(99u).CopyTo(image, typeAt);
                File.WriteAllBytes(path, image);
                break;
            case "past-end":
                File.WriteAllBytes(path, image[..^64]);
                break;
        }
        var result = QuantCli.Run("info", "-m", path);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", result.StandardError);
    }

    [Fact]
    public void UnknownFlag_And_BadValues_ExitWith2()
    {
        var flag = QuantCli.Run("generate", "-m", "x.gguf", "--bogus");
        Assert.Equal(2, flag.ExitCode);
        Assert.Contains("--bogus", flag.StandardError);

        var bothPrompts = QuantCli.Run("generate", "-p", "hi", "--prompt-ids", "1");
        Assert.Equal(2, bothPrompts.ExitCode);
        Assert.Contains("exactly one of --prompt, --file and --prompt-ids", bothPrompts.StandardError);
    }

    [SharedFixtureFact]
    public void InvalidSamplingValue_And_ContextOverflow_ExitWith2()
    {
        var temperature = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "--prompt-ids", "1", "--temp", "-1");
        Assert.Equal(2, temperature.ExitCode);
        Assert.Contains("temperature", Assert.Single(temperature.ErrorLines));

        var overflow = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "--prompt-ids", "1", "-n", "600");
        Assert.Equal(2, overflow.ExitCode);
        Assert.Contains("exceed the context of 512", Assert.Single(overflow.ErrorLines));

        var outside = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "--prompt-ids", "1,9999");
        Assert.Equal(2, outside.ExitCode);
        Assert.Contains("outside the vocabulary", Assert.Single(outside.ErrorLines));

        var text = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "-p", "hello");
        Assert.Equal(2, text.ExitCode);
        Assert.Contains("no tokenizer", Assert.Single(text.ErrorLines));
    }

    private static int IndexOfTensorType(byte[] image)
    {
        // Header layout after the tensor name "t": n_dims (4), dims (2 x 8), type (4), offset (8).
        int name = IndexOf(image, "\u0001\0\0\0\0\0\0\0t"u8.ToArray());
        return name + 9 + 4 + 16;
    }

    private static int IndexOf(byte[] haystack, byte[] needle) =>
        Enumerable.Range(0, haystack.Length - needle.Length).First(i => haystack.AsSpan(i, needle.Length).SequenceEqual(needle));
}
