using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using QuantRuntime.Benchmarking;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Inference;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant bench</c>: llama-bench-style prompt and generation throughput, optionally beside llama.cpp.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model file (GGUF or llama2.c .bin)" };
        var prompt = new Option<int>("--n-prompt", "-p") { Description = "Prompt tokens, evaluated in one batch", DefaultValueFactory = _ => 128 };
        var generate = new Option<int>("--n-gen", "-n") { Description = "Tokens generated one at a time after the prompt", DefaultValueFactory = _ => 64 };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed repetitions after one warm-up", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads", "-t") { Description = "Threads for both engines", DefaultValueFactory = _ => Environment.ProcessorCount };
        var peer = new Option<bool>("--vs-llamacpp") { Description = "Also run llama.cpp (LLamaSharp) on the same file, alternating runs, and print the ratios" };
        var makeModel = new Option<string?>("--make-model") { Description = "Write the 0.84B benchmark model (F16, Q8_0, Q4_0) into this folder and exit" };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("bench", """
            Measure prompt processing (pp) and generation (tg) throughput, mean ± sd after a warm-up,
            tokenization and sampling excluded; with --vs-llamacpp, llama.cpp runs alternately in the same process.
            Examples:
              quant bench --make-model bench-models
              quant bench -m bench-models/bench-q4_0.gguf -p 128 -n 64 -r 5 -t 2 --vs-llamacpp
            """)
        {
            model, prompt, generate, repetitions, threads, peer, makeModel, device, json,
        };
        command.SetAction((parse, cancellation) =>
        {
            string? path = parse.GetValue(model);
            try
            {
                if (parse.GetValue(makeModel) is { } folder)
                {
                    var paths = ProgressDisplay.Run("benchmark model", BenchmarkModel.Files.Count + 1, parse.GetValue(json),
                        progress => BenchmarkModel.Write(folder, progress, parse.GetValue(threads), cancellation));
                    foreach (string written in paths)
                    {
                        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{written} ({new FileInfo(written).Length / 1e9:F2} GB)"));
                    }
                    return Task.FromResult(ExitCodes.Success);
                }
                if (path is null)
                {
                    throw new UsageException("give --model FILE (or --make-model DIR)");
                }
                if (parse.GetValue(threads) < 1)
                {
                    throw new UsageException("--threads must be at least 1");
                }
                var settings = new ThroughputSettings(parse.GetValue(prompt), parse.GetValue(generate), parse.GetValue(repetitions));
                settings.Validate();
                return Task.FromResult(Run(path, settings, parse.GetValue(threads), parse.GetValue(device), parse.GetValue(peer), parse.GetValue(json), cancellation));
            }
            catch (Exception e)
            {
                return Task.FromResult(ErrorReporter.Report(e, path));
            }
        });
        return command;
    }

    private static int Run(string path, ThroughputSettings settings, int threads, ComputeDevice device, bool withPeer, bool json, CancellationToken cancellation)
    {
        int context = settings.PromptTokens + settings.GeneratedTokens;
        var engines = new List<IThroughputEngine>();
        try
        {
            var ours = new QuantRuntimeEngine(path, device, threads, context);
            engines.Add(ours);
            var config = ours.Model.Config;
            // Peak memory of this runtime alone, before llama.cpp shares the process.
            PeakMemory.Reset();
            int[] Ids(int count) => [.. Enumerable.Range(0, count).Select(i => 3 + i % (config.VocabularySize - 3))];
            ours.Prefill(Ids(settings.PromptTokens));
            ours.Decode(Ids(settings.GeneratedTokens));
            long? peak = PeakMemory.PeakBytes();
            long kvBytes = 2L * config.BlockCount * context * config.KvWidth * sizeof(float);
            if (withPeer)
            {
                engines.Add(new LlamaCppEngine(path, threads, context));
            }
            int total = engines.Count * settings.Repetitions;
            var results = ProgressDisplay.Run("benchmark", total, json,
                progress => ThroughputBenchmark.Run(engines, settings, config.VocabularySize, progress, cancellation));
            Print(path, ours.Model, threads, results, peak, kvBytes, json);
            return ExitCodes.Success;
        }
        finally
        {
            foreach (var engine in engines)
            {
                engine.Dispose();
            }
        }
    }

    private static void Print(string path, LanguageModel model, int threads, IReadOnlyList<ThroughputResult> results, long? peak, long kvBytes, bool json)
    {
        long fileSize = model.File.FileSize;
        var inv = CultureInfo.InvariantCulture;
        var ours = results[0];
        var peer = results.Count > 1 ? results[1] : null;
        if (json)
        {
            var engines = new JsonArray();
            foreach (var r in results)
            {
                var tests = new JsonArray();
                foreach (var sample in new[] { r.Prompt, r.Generation }.OfType<ThroughputSample>())
                {
                    tests.Add(new JsonObject
                    {
                        ["test"] = sample.Test,
                        ["mean"] = Math.Round(sample.Mean, 3),
                        ["sd"] = Math.Round(sample.StandardDeviation, 3),
                        ["median"] = Math.Round(sample.Median, 3),
                        ["samples"] = new JsonArray([.. sample.TokensPerSecond.Select(v => (JsonNode?)JsonValue.Create(Math.Round(v, 3)))]),
                    });
                }
                engines.Add(new JsonObject { ["engine"] = r.Engine, ["tests"] = tests });
            }
            JsonOutput.Print(new JsonObject
            {
                ["model"] = path,
                ["file_bytes"] = fileSize,
                ["threads"] = threads,
                ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", inv),
                ["engines"] = engines,
                ["ratio_prompt"] = peer is null ? null : Math.Round(ours.Prompt.Median / peer.Prompt.Median, 3),
                ["ratio_generation"] = peer?.Generation is null ? null : Math.Round(ours.Generation!.Median / peer.Generation.Median, 3),
                ["peak_rss_bytes"] = peak,
                ["kv_cache_bytes"] = kvBytes,
            });
            return;
        }
        Console.Out.WriteLine(string.Create(inv, $"| engine       | model                          |    size | threads | test   |              t/s |"));
        Console.Out.WriteLine("| ------------ | ------------------------------ | ------- | ------- | ------ | ---------------- |");
        foreach (var r in results)
        {
            foreach (var sample in new[] { r.Prompt, r.Generation }.OfType<ThroughputSample>())
            {
                Console.Out.WriteLine(string.Create(inv,
                    $"| {r.Engine,-12} | {Path.GetFileName(path),-30} | {fileSize / 1e9,4:F2} GB | {threads,7} | {sample.Test,-6} | {sample.Mean,8:F2} ± {sample.StandardDeviation,5:F2} |"));
            }
        }
        if (peer is not null)
        {
            string ratios = string.Create(inv, $"quantruntime / llama.cpp (medians): {ours.Prompt.Test} {ours.Prompt.Median / peer.Prompt.Median:F2}x");
            if (ours.Generation is not null && peer.Generation is not null)
            {
                ratios += string.Create(inv, $", {ours.Generation.Test} {ours.Generation.Median / peer.Generation.Median:F2}x");
            }
            Console.Out.WriteLine(ratios);
        }
        if (peak is { } bytes)
        {
            Console.Out.WriteLine(string.Create(inv,
                $"peak RSS while generating (quantruntime alone): {bytes / 1e9:F3} GB = {(double)bytes / (fileSize + kvBytes):F2} x (file {fileSize / 1e9:F3} GB + KV cache {kvBytes / 1e9:F3} GB)"));
        }
    }
}
