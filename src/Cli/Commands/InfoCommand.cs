using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant info</c>: architecture, hyperparameters, tensor types, tokenizer.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var devices = new Option<bool>("--devices") { Description = "List the compute devices visible here, and why any is skipped" };
        var json = CommonOptions.Json();
        var command = new Command("info", """
            Print a model's architecture, hyperparameters, tensor types and counts, file size and tokenizer;
            or, with --devices, the compute devices.
            Examples:
              quant info -m model.gguf --json
              quant info --devices
            """)
        {
            model, devices, json,
        };
        command.SetAction(parse =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                if (parse.GetValue(devices))
                {
                    PrintDevices(parse.GetValue(json));
                    return ExitCodes.Success;
                }
                using var file = ModelFile.Open(path);
                var summary = ModelSummary.Of(file);
                if (parse.GetValue(json))
                {
                    JsonOutput.Print(ToJson(summary));
                }
                else
                {
                    PrintText(summary);
                }
                return ExitCodes.Success;
            }
            catch (Exception e)
            {
                return ErrorReporter.Report(e, path);
            }
        });
        return command;
    }

    private static void PrintDevices(bool json)
    {
        var (entries, notes) = BackendFactory.Describe();
        if (json)
        {
            var array = new JsonArray();
            foreach (var d in entries)
            {
                array.Add(new JsonObject { ["device"] = d.Device, ["name"] = d.Name, ["usable"] = d.Usable, ["details"] = d.Details, ["skip_reason"] = d.SkipReason });
            }
            JsonOutput.Print(new JsonObject { ["devices"] = array, ["notes"] = new JsonArray([.. notes.Select(n => (JsonNode?)JsonValue.Create(n))]) });
            return;
        }
        foreach (var d in entries)
        {
            Console.Out.WriteLine(d.Usable ? $"{d.Device,-10} {d.Name}: {d.Details}" : $"{d.Device,-10} {d.Name}: skipped, {d.SkipReason}");
        }
        foreach (string note in notes)
        {
            Console.Out.WriteLine($"note: {note}");
        }
    }

    private static JsonObject ToJson(ModelSummary s)
    {
        var c = s.Config;
        var types = new JsonObject();
        foreach (var (type, (count, bytes)) in s.TensorTypes)
        {
            types[TensorTypeInfo.Of(type).Name] = new JsonObject { ["tensors"] = count, ["bytes"] = bytes };
        }
        return new JsonObject
        {
            ["path"] = s.Path,
            ["format"] = s.Format.ToString().ToLowerInvariant(),
            ["name"] = s.Name,
            ["file_size"] = s.FileSize,
            ["architecture"] = c.Architecture,
            ["parameters"] = s.ParameterCount,
            ["embedding_length"] = c.EmbeddingLength,
            ["feed_forward_length"] = c.FeedForwardLength,
            ["block_count"] = c.BlockCount,
            ["head_count"] = c.HeadCount,
            ["head_count_kv"] = c.KvHeadCount,
            ["head_dim"] = c.HeadDim,
            ["vocab_size"] = c.VocabularySize,
            ["context_length"] = c.ContextLength,
            ["rms_norm_epsilon"] = c.RmsNormEpsilon,
            ["rope_theta"] = c.RopeTheta,
            ["rope_style"] = c.RopeStyle.ToString(),
            ["tied_embeddings"] = c.TiedEmbeddings,
            ["qkv_bias"] = c.HasQkvBias,
            ["tensor_types"] = types,
            ["tokenizer"] = s.Tokenizer,
            ["tokenizer_pre"] = s.TokenizerPre,
        };
    }

    private static void PrintText(ModelSummary s)
    {
        var c = s.Config;
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Create(inv, $"file:           {s.Path} ({s.Format.ToString().ToLowerInvariant()}, {s.FileSize:N0} bytes)"));
        if (s.Name is not null)
        {
            Console.Out.WriteLine($"name:           {s.Name}");
        }
        Console.Out.WriteLine(string.Create(inv, $"architecture:   {c.Architecture}, {s.ParameterCount:N0} parameters"));
        Console.Out.WriteLine(string.Create(inv, $"shape:          {c.BlockCount} blocks, dim {c.EmbeddingLength}, ffn {c.FeedForwardLength}, vocab {c.VocabularySize}, context {c.ContextLength}"));
        Console.Out.WriteLine(string.Create(inv, $"attention:      {c.HeadCount} heads, {c.KvHeadCount} kv heads, head dim {c.HeadDim}{(c.HasQkvBias ? ", qkv bias" : "")}"));
        Console.Out.WriteLine(string.Create(inv, $"rope:           theta {c.RopeTheta}, {c.RopeStyle}; rms eps {c.RmsNormEpsilon}; {(c.TiedEmbeddings ? "tied" : "separate")} output head"));
        foreach (var (type, (count, bytes)) in s.TensorTypes)
        {
            Console.Out.WriteLine(string.Create(inv, $"tensors {TensorTypeInfo.Of(type).Name,-7} {count,4} tensors, {bytes:N0} bytes"));
        }
        Console.Out.WriteLine($"tokenizer:      {(s.Tokenizer is null ? "none (use token ids)" : s.Tokenizer + (s.TokenizerPre is null ? "" : $" (pre: {s.TokenizerPre})"))}");
    }
}
