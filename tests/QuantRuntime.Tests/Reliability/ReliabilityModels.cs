using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Models;
using QuantRuntime.Tests.Reliability.Fuzzing;

namespace QuantRuntime.Tests.Reliability;

/// <summary>Model files the reliability tests run: the fuzzer's tiny seeds, and one large enough to still be generating when a test interrupts it.</summary>
internal static class ReliabilityModels
{
    /// <summary>Writes the fuzzer's seed <paramref name="name"/> (tiny llama/qwen2 GGUF with a tokenizer, or llama2.c) to <paramref name="folder"/>.</summary>
    public static string WriteSeed(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, FuzzSeeds.Get(name).Bytes);
        return path;
    }

    /// <summary>
    /// A 3.7M-parameter F32 llama without a tokenizer (prompt ids in, ids out) and a 16K context:
    /// thousands of decode steps take many seconds, so a run with a long -n is still going when signalled.
    /// </summary>
    public static string WriteSlow(string folder)
    {
        var config = new TransformerConfig("llama", 256, 768, 4, 8, 4, 32, 1024, 16384, 1e-5f, 10000f, RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: false);
        string path = Path.Combine(folder, "slow.gguf");
        GgufModelWriter.Build(config, SyntheticWeights.Create(config, seed: 11), null, "slow").Save(path);
        return path;
    }

    /// <summary>The tiny llama seed, claiming a context of <paramref name="context"/> positions.</summary>
    public static string WriteWithContext(string folder, uint context)
    {
        var image = FuzzSeeds.Get("llama-f32-spm.gguf").Gguf!.Clone();
        int at = image.Entries.FindIndex(e => e.KeyText == "llama.context_length");
        image.Entries[at] = GgufImage.Encode("llama.context_length", GgufValue.FromUInt32(context));
        string path = Path.Combine(folder, $"context-{context}.gguf");
        File.WriteAllBytes(path, image.Serialize());
        return path;
    }
}
