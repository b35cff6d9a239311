using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.IO;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant logits</c>: write the logits after every prompt position.</summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var promptIds = CommonOptions.PromptIds();
        promptIds.Required = true;
        var output = new Option<string>("--output", "-o") { Description = "Output file: float32 little-endian, one row of vocab_size per position", Required = true };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("logits", """
            Write the logits after every prompt position (float32 little-endian, positions x vocab).
            Examples:
              quant logits -m model.gguf --prompt-ids 1,450,2 -o logits.f32
              quant logits -m model.gguf --prompt-ids 1,450,2 -o logits.f32 --json
            """)
        {
            model, promptIds, output, json, device, threads,
        };
        command.SetAction(parse =>
        {
            string path = CommonOptions.ModelPath(parse, model);
            try
            {
                int[] ids = CommonOptions.ParseIds(parse.GetRequiredValue(promptIds)!);
                string target = parse.GetRequiredValue(output);
                if (Path.GetFullPath(target) == Path.GetFullPath(path))
                {
                    throw new UsageException("--output is the model file; refusing to overwrite it");
                }
                using var loaded = ProgressDisplay.LoadModel(path, new LanguageModelOptions(parse.GetValue(device), parse.GetValue(threads)), parse.GetValue(json));
                int vocabulary = loaded.Config.VocabularySize;
                foreach (int id in ids)
                {
                    if ((uint)id >= (uint)vocabulary)
                    {
                        throw new UsageException($"prompt id {id} is outside the vocabulary of {vocabulary}");
                    }
                }
                if (ids.Length > loaded.Config.ContextLength)
                {
                    throw new UsageException($"{ids.Length} prompt ids exceed the model's context of {loaded.Config.ContextLength}");
                }
                using var session = loaded.CreateSession(ids.Length);
                var logits = new float[checked(ids.Length * vocabulary)];
                session.EvaluateAll(ids, logits);
                AtomicFile.Write(target, stream => stream.Write(MemoryMarshal.AsBytes(logits.AsSpan())));
                if (parse.GetValue(json))
                {
                    JsonOutput.Print(new JsonObject
                    {
                        ["output"] = target,
                        ["positions"] = ids.Length,
                        ["vocabulary"] = vocabulary,
                        ["bytes"] = (long)logits.Length * sizeof(float),
                    });
                }
                else
                {
                    Console.Error.WriteLine($"wrote {ids.Length} x {vocabulary} logits to {target}");
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
}
