using System.Buffers.Binary;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Tests.Reliability.Fuzzing;

/// <summary>
/// Small valid model files the fuzzer mutates and the malformed corpus starts from: GGUF llama
/// with a SentencePiece vocabulary (F32 and Q8_0), GGUF qwen2 with a byte-level BPE vocabulary
/// (F16, biases, tied embeddings), and llama2.c checkpoints (shared and separate classifier).
/// Built by code, a few hundred KB in all, the same bytes every time.
/// </summary>
internal static class FuzzSeeds
{
    /// <summary>A valid file: its name (the extension matters to ModelFile.Open) and bytes.</summary>
    public sealed record Seed(string Name, byte[] Bytes, GgufImage? Gguf)
    {
        /// <summary>(offset, size) of every integer header field: GGUF counts, lengths, types, dimensions, offsets; llama2.c's seven ints.</summary>
        public IReadOnlyList<(int Offset, int Size)> Fields { get; } = FieldsOf(Gguf);

        private static List<(int Offset, int Size)> FieldsOf(GgufImage? image)
        {
            List<(int Offset, int Size)> fields = [];
            if (image is null)
            {
                fields.AddRange(Enumerable.Range(0, 7).Select(i => (4 * i, 4)));
            }
            else
            {
                image.Serialize(fields);
            }
            return fields;
        }
    }

    private static readonly Lazy<IReadOnlyList<Seed>> AllSeeds = new(Build);

    public static IReadOnlyList<Seed> All => AllSeeds.Value;

    public static Seed Get(string name) => All.Single(s => s.Name == name);

    /// <summary>The hyperparameters of the tiny llama seeds.</summary>
    public static TransformerConfig LlamaConfig(int vocabulary) =>
        new("llama", 32, 64, 2, 2, 1, 16, vocabulary, 64, 1e-5f, 10000f, RopeStyle.AdjacentPairs, TiedEmbeddings: false, HasQkvBias: false);

    private static IReadOnlyList<Seed> Build()
    {
        var spm = SentencePieceMetadata();
        int spmCount = spm.GetArrayOrNull("tokenizer.ggml.tokens")!.Count;
        var bpe = ByteLevelMetadata();
        int bpeCount = bpe.GetArrayOrNull("tokenizer.ggml.tokens")!.Count;
        var llama = LlamaConfig(spmCount);
        var qwen = new TransformerConfig("qwen2", 32, 64, 2, 2, 2, 16, bpeCount, 128, 1e-6f, 1e6f, RopeStyle.HalfSplit, TiedEmbeddings: true, HasQkvBias: true);
        var seeds = new List<Seed>
        {
            Gguf("llama-f32-spm.gguf", GgufModelWriter.Build(llama, SyntheticWeights.Create(llama, 1), spm, "fuzz-llama")),
            Gguf("llama-q8_0-spm.gguf", GgufModelWriter.Build(llama, SyntheticWeights.Create(llama, 2, TensorType.Q8_0), spm, "fuzz-llama-q8")),
            Gguf("qwen2-f16-bpe.gguf", GgufModelWriter.Build(qwen, SyntheticWeights.Create(qwen, 3, TensorType.F16), bpe, "fuzz-qwen2")),
            new("stories-shared.bin", Llama2c(dim: 32, hidden: 64, layers: 2, heads: 2, kvHeads: 1, vocab: 64, seqLen: 32, shared: true, seed: 4), null),
            new("stories-separate.bin", Llama2c(dim: 32, hidden: 64, layers: 1, heads: 4, kvHeads: 2, vocab: 48, seqLen: 16, shared: false, seed: 5), null),
        };
        return seeds;
    }

    private static Seed Gguf(string name, GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] bytes = stream.ToArray();
        return new Seed(name, bytes, GgufImage.FromValid(bytes));
    }

    /// <summary>A llama2.c legacy checkpoint with seeded random float32 weights.</summary>
    public static byte[] Llama2c(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, bool shared, int seed)
    {
        int headDim = dim / heads;
        long kvWidth = (long)kvHeads * headDim;
        long perLayer = 2L * dim + (long)dim * dim + 2 * kvWidth * dim + (long)dim * dim + 3L * hidden * dim;
        long floats = (long)vocab * dim + layers * perLayer + dim + (long)seqLen * headDim + (shared ? 0 : (long)vocab * dim);
        byte[] bytes = new byte[28 + floats * 4];
        int[] header = [dim, hidden, layers, heads, kvHeads, shared ? vocab : -vocab, seqLen];
        for (int i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), header[i]);
        }
        var random = new Random(seed);
        for (long i = 0; i < floats; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)(28 + 4 * i)), (float)(random.NextDouble() - 0.5) * 0.5f);
        }
        return bytes;
    }

    /// <summary>A SentencePiece ("llama") vocabulary: unk/bos/eos, 256 byte tokens, pieces, specials.</summary>
    public static GgufMetadata SentencePieceMetadata()
    {
        var tokens = new List<(string Text, float Score, int Type)> { ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3) };
        tokens.AddRange(Enumerable.Range(0, 256).Select(b => ($"<0x{b:X2}>", 0f, 6)));
        string[] pieces =
        [
            "\u2581", "e", "t", "a", "o", "h", "l", "d", "r", "w", "n", "i", "s", "H", ",", "1", "2", "3",
            "\u2581t", "he", "\u2581the", "\u2581a", "ll", "\u2581w", "or", "ld", "\u2581wor", "\u2581world", "\u2581H", "\u2581He",
            "\u2581Hell", "\u2581Hello", "in", "\u2581in", "\u2581\u2581",
        ];
        tokens.AddRange(pieces.Select((p, i) => (p, -1f - i, 1)));
        tokens.AddRange([("<|im_start|>", 0, 3), ("<|im_end|>", 0, 3), ("<tool>", 0, 4), ("<unused0>", 0, 5)]);
        return new GgufMetadata(
        [
            new("tokenizer.ggml.model", GgufValue.FromString("llama")),
            new("tokenizer.ggml.tokens", GgufValue.FromArray(GgufArray.Of(tokens.Select(t => t.Text).ToArray()))),
            new("tokenizer.ggml.scores", GgufValue.FromArray(GgufArray.Of(tokens.Select(t => t.Score).ToArray()))),
            new("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of(tokens.Select(t => t.Type).ToArray()))),
            new("tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(1)),
            new("tokenizer.ggml.eos_token_id", GgufValue.FromUInt32(2)),
            new("tokenizer.ggml.unknown_token_id", GgufValue.FromUInt32(0)),
            new("tokenizer.ggml.add_bos_token", GgufValue.FromBool(true)),
        ]);
    }

    /// <summary>A byte-level BPE ("gpt2") vocabulary: GPT-2's 256 byte characters, a few merges, specials.</summary>
    public static GgufMetadata ByteLevelMetadata()
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteChar(b).ToString()).ToList();
        string[] merges = ["\u0120 t", "h e", "\u0120t he", "i n", "\u0120 w", "o r", "\u0120w or", "l d", "\u0120wor ld", "\u0120 a", "e r", "\u0120 1", "2 3"];
        foreach (string merge in merges)
        {
            tokens.Add(merge.Replace(" ", "", StringComparison.Ordinal));
        }
        var types = Enumerable.Repeat(1, tokens.Count).ToList();
        foreach (string special in new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" })
        {
            tokens.Add(special);
            types.Add(3);
        }
        int endOfText = tokens.IndexOf("<|endoftext|>");
        return new GgufMetadata(
        [
            new("tokenizer.ggml.model", GgufValue.FromString("gpt2")),
            new("tokenizer.ggml.pre", GgufValue.FromString("qwen2")),
            new("tokenizer.ggml.tokens", GgufValue.FromArray(GgufArray.Of(tokens.ToArray()))),
            new("tokenizer.ggml.token_type", GgufValue.FromArray(GgufArray.Of(types.ToArray()))),
            new("tokenizer.ggml.merges", GgufValue.FromArray(GgufArray.Of(merges))),
            new("tokenizer.ggml.bos_token_id", GgufValue.FromUInt32((uint)endOfText)),
            new("tokenizer.ggml.eos_token_id", GgufValue.FromUInt32((uint)endOfText)),
            new("tokenizer.ggml.add_bos_token", GgufValue.FromBool(false)),
        ]);
    }

    /// <summary>GPT-2's byte-to-character table.</summary>
    private static char ByteChar(int b)
    {
        if (b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255)
        {
            return (char)b;
        }
        int n = 0;
        for (int i = 0; i < b; i++)
        {
            if (!(i is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255))
            {
                n++;
            }
        }
        return (char)(256 + n);
    }
}
