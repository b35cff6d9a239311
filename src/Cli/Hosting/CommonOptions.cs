using System.CommandLine;
using QuantRuntime.Inference;

namespace QuantRuntime.Cli.Hosting;

/// <summary>Options shared by the commands, each created fresh per command (System.CommandLine symbols have one parent).</summary>
internal static class CommonOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = $"Model file: GGUF or llama2.c .bin (default: the shipped models/{DefaultModel.FileName})",
    };

    /// <summary>
    /// The model to use: the one given, else the shipped model. When that is missing too, its
    /// expected place, so opening it fails with a message naming what is missing.
    /// </summary>
    public static string ModelPath(ParseResult parse, Option<string> option) =>
        parse.GetValue(option) ?? DefaultModel.Find() ?? DefaultModel.BesideExecutable;

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON object instead of text",
    };

    public static Option<ComputeDevice> Device() => new("--device")
    {
        Description = $"Where to compute: {ComputeDeviceNames.All} (auto: CUDA if present, else the SIMD CPU backend)",
        DefaultValueFactory = _ => ComputeDevice.Auto,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "auto";
            if (ComputeDeviceNames.TryParse(text, out var device))
            {
                return device;
            }
            result.AddError($"--device: '{text}' is not one of {ComputeDeviceNames.All}");
            return default;
        },
    };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "CPU threads (0: one per core)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string?> PromptIds() => new("--prompt-ids")
    {
        Description = "Prompt as comma-separated token ids, e.g. 1,450,2",
    };

    /// <summary>Parses "1,2,3" (spaces allowed).</summary>
    public static int[] ParseIds(string text)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new UsageException($"--prompt-ids: '{parts[i]}' is not a token id");
            }
        }
        if (ids.Length == 0)
        {
            throw new UsageException("--prompt-ids is empty");
        }
        return ids;
    }
}
