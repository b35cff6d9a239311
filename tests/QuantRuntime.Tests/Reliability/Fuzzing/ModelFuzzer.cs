using System.Diagnostics;
using System.Text.RegularExpressions;
using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Inference;
using QuantRuntime.Models;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Reliability.Fuzzing;

/// <summary>
/// Seeded mutation fuzzer of the model readers. Each case writes one mutant of a valid seed to a
/// file and runs the whole load path on it — ModelFile.Open, ModelSummary.Of,
/// ModelTokenizer.FromGguf (then Encode and Decode), and for files that load, LanguageModel.Load
/// on the CPU backend and one forward step. The only exception allowed out is
/// ModelFormatException; anything else is a crash. Case i of seed s is the same file on every
/// machine, so a crash reproduces from (s, i).
/// </summary>
internal sealed partial class ModelFuzzer
{
    /// <summary>A case that threw something other than ModelFormatException.</summary>
    public sealed record Crash(long Case, string Edits, Exception Error, string? SavedAs);

    /// <summary>What a run found.</summary>
    public sealed class Report
    {
        public long Cases { get; set; }
        public long Loaded { get; set; }
        public long Rejected { get; set; }
        public long Ran { get; set; }
        public List<Crash> Crashes { get; } = [];
        public Dictionary<string, long> Messages { get; } = new(StringComparer.Ordinal);
        public TimeSpan Elapsed { get; set; }
        public double SlowestCaseMs { get; set; }
        public long SlowestCase { get; set; }
        public long LargestAllocation { get; set; }
        public long LargestAllocationCase { get; set; }
        public double LoadedMs { get; set; }
        public double RejectedMs { get; set; }

        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Cases} cases in {Elapsed.TotalSeconds:F1} s ({Cases / Math.Max(Elapsed.TotalSeconds, 1e-9):F0}/s): {Loaded} loaded ({Ran} ran a forward step), " +
            $"{Rejected} rejected with ModelFormatException ({Messages.Count} distinct messages), {Crashes.Count} crashes; " +
            $"{LoadedMs / Math.Max(Loaded, 1):F2} ms per loaded case, {RejectedMs / Math.Max(Rejected, 1):F2} ms per rejected case; slowest case {SlowestCaseMs:F1} ms (#{SlowestCase}), largest allocation {LargestAllocation / 1048576.0:F1} MiB (#{LargestAllocationCase})");
    }

    private const string SampleText = "Hello world, the 123 \u00fcn\u00efc\u00f8de <|im_start|> \U0001F600 <tool> in\n\tx";
    private readonly IReadOnlyList<FuzzSeeds.Seed> _seeds;
    private readonly string _folder;
    private readonly string? _crashFolder;

    /// <param name="folder">Where each case's file is written (and deleted).</param>
    /// <param name="crashFolder">Where crashing inputs are kept; null keeps none.</param>
    public ModelFuzzer(string folder, string? crashFolder = null, IReadOnlyList<FuzzSeeds.Seed>? seeds = null)
    {
        _seeds = seeds ?? FuzzSeeds.All;
        _folder = folder;
        _crashFolder = crashFolder;
    }

    /// <summary>The mutant of case <paramref name="index"/> under <paramref name="seed"/>.</summary>
    public Mutator.Mutant MutantOf(int seed, long index) => Mutator.Mutate(new Random(HashCode(seed, index)), _seeds);

    /// <summary>Runs cases <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    public Report Run(int seed, long count, long first = 0, Action<Report>? progress = null, TimeSpan? progressEvery = null)
    {
        var report = new Report();
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        for (long i = first; i < first + count; i++)
        {
            var mutant = MutantOf(seed, i);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var caseClock = Stopwatch.StartNew();
            var outcome = Exercise(mutant, out string? message, out Exception? error);
            double ms = caseClock.Elapsed.TotalMilliseconds;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            report.Cases++;
            if (ms > report.SlowestCaseMs)
            {
                (report.SlowestCaseMs, report.SlowestCase) = (ms, i);
            }
            if (allocated > report.LargestAllocation)
            {
                (report.LargestAllocation, report.LargestAllocationCase) = (allocated, i);
            }
            switch (outcome)
            {
                case Outcome.Loaded:
                case Outcome.Ran:
                    report.Loaded++;
                    report.Ran += outcome == Outcome.Ran ? 1 : 0;
                    report.LoadedMs += ms;
                    break;
                case Outcome.Rejected:
                    report.Rejected++;
                    report.RejectedMs += ms;
                    string template = Template(message!);
                    report.Messages[template] = report.Messages.GetValueOrDefault(template) + 1;
                    break;
                default:
                    string? saved = null;
                    if (_crashFolder is not null)
                    {
                        Directory.CreateDirectory(_crashFolder);
                        saved = Path.Combine(_crashFolder, $"case-{seed}-{i}-{Path.GetFileName(mutant.Name)}");
                        File.WriteAllBytes(saved, mutant.Bytes);
                    }
                    report.Crashes.Add(new Crash(i, mutant.Edits, error!, saved));
                    break;
            }
            if (progress is not null && clock.Elapsed - lastProgress >= (progressEvery ?? TimeSpan.FromSeconds(30)))
            {
                lastProgress = clock.Elapsed;
                report.Elapsed = clock.Elapsed;
                progress(report);
            }
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    public enum Outcome { Loaded, Ran, Rejected, Crashed }

    /// <summary>Writes <paramref name="mutant"/> to a file and runs the load path on it.</summary>
    public Outcome Exercise(Mutator.Mutant mutant, out string? message, out Exception? error)
    {
        string path = Path.Combine(_folder, mutant.Name);
        File.WriteAllBytes(path, mutant.Bytes);
        try
        {
            return Load(path, out message, out error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The load path on an existing file.</summary>
    public static Outcome Load(string path, out string? message, out Exception? error)
    {
        message = null;
        error = null;
        try
        {
            using (var file = ModelFile.Open(path))
            {
                var summary = ModelSummary.Of(file);
                _ = summary.ParameterCount;
                var metadata = file.Gguf?.Metadata;
                var tokenizer = metadata is null || metadata.GetBoolOrNull(PlaceholderVocabulary.MarkerKey) == true ? null : ModelTokenizer.FromGguf(metadata);
                if (tokenizer is not null)
                {
                    var ids = tokenizer.Encode(SampleText);
                    _ = tokenizer.Decode(ids);
                    _ = tokenizer.Decode(ids, skipSpecialTokens: true);
                    var decoder = new StreamingDecoder(tokenizer);
                    foreach (int id in ids)
                    {
                        decoder.Append(id);
                    }
                    decoder.Flush();
                }
            }
            using var model = LanguageModel.Load(path, new LanguageModelOptions(ComputeDevice.Cpu, 1));
            using var session = model.CreateSession(Math.Min(model.Config.ContextLength, 8));
            var logits = new float[session.VocabularySize];
            session.Evaluate([model.Tokenizer?.BosId ?? 0], logits);
            return Outcome.Ran;
        }
        catch (ModelFormatException e)
        {
            message = e.Message;
            if (string.IsNullOrWhiteSpace(message))
            {
                error = new InvalidOperationException("ModelFormatException with an empty message", e);
                return Outcome.Crashed;
            }
            return Outcome.Rejected;
        }
        catch (Exception e)
        {
            error = e;
            return Outcome.Crashed;
        }
    }

    /// <summary>A message with its numbers and quoted names blanked, to count kinds of rejection.</summary>
    public static string Template(string message) => Numbers().Replace(Quoted().Replace(message, "'…'"), "#");

    private static int HashCode(int seed, long index) => unchecked((int)((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)index * 0xBF58476D1CE4E5B9UL) ^ (int)(index >> 32));

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"'[^']*'")]
    private static partial Regex Quoted();
}
