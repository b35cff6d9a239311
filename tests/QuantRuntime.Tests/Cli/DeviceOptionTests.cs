using System.Text.Json;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Cli;

/// <summary><c>--device</c> spellings and <c>quant info --devices</c>.</summary>
public sealed class DeviceOptionTests
{
    [Fact]
    public void InfoDevices_ListsCpuAndReferenceAsUsable()
    {
        var result = QuantCli.Run("info", "--devices", "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var devices = json.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Contains(devices, d => d.GetProperty("device").GetString() == "cpu" && d.GetProperty("usable").GetBoolean());
        Assert.Contains(devices, d => d.GetProperty("device").GetString() == "reference" && d.GetProperty("usable").GetBoolean());
        // A device that is listed but unusable says why.
        Assert.All(devices.Where(d => !d.GetProperty("usable").GetBoolean()), d => Assert.False(string.IsNullOrEmpty(d.GetProperty("skip_reason").GetString())));
    }

    [Fact]
    public void UnknownDevice_IsOneLineErrorNamingTheChoices()
    {
        var result = QuantCli.Run("generate", "-m", "x.gguf", "--prompt-ids", "1", "--device", "gpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--device: 'gpu' is not one of auto|cpu|reference|cuda|opencl|ilgpu-cpu", result.ErrorLines[0]);
    }

    [SharedFixtureFact]
    public void EveryCpuSideDevice_GivesTheReferenceGreedyIds()
    {
        var expected = string.Join(' ', Stories260KReference.GreedyIds(64)[..6]);
        foreach (string device in new[] { "reference", "cpu", "ilgpu-cpu" })
        {
            var result = QuantCli.Run("generate", "-m", RepositoryPaths.Stories260K, "--prompt-ids", "1", "-n", "6", "--temp", "0", "--device", device);
            Assert.True(result.ExitCode == 0, $"{device}: {result.StandardError}");
            Assert.Equal(expected, result.StandardOutput.Trim());
        }
    }
}
