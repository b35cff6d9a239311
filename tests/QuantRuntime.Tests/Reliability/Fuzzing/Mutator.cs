using System.Buffers.Binary;
using System.Text;
using QuantRuntime.Formats.Gguf;

namespace QuantRuntime.Tests.Reliability.Fuzzing;

/// <summary>
/// Seeded, structure-aware mutations of the valid seeds: edits of GGUF parts (metadata values,
/// arrays, keys, tensor shapes, types and offsets, counts), then byte-level damage (bit flips,
/// byte sets, integer fields replaced by boundary values at their known offsets, truncation,
/// splicing, insertion, deletion). Each mutant says what was done to it, so a crash reproduces
/// from its case number alone.
/// </summary>
internal static class Mutator
{
    /// <summary>A mutated file: the name to write it under, its bytes, and the edits that made it.</summary>
    public sealed record Mutant(string Name, byte[] Bytes, string Edits);

    private static readonly ulong[] Boundaries64 =
    [
        0, 1, 2, 3, 7, 16, 31, 32, 33, 255, 256, 4096, 65536,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 1UL << 40, 1UL << 62,
        long.MaxValue, 1UL << 63, ulong.MaxValue - 31, ulong.MaxValue - 1, ulong.MaxValue,
    ];

    private static readonly uint[] Boundaries32 =
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 16, 30, 31, 32, 64, 255, 1024, 65536, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF];

    private static readonly string[] InterestingStrings =
    [
        "", "llama", "qwen2", "gpt2", "bert", "none", "no_vocab", "default", "llama-bpe", "unknown-pre", "gpt-neox",
        "<0xZZ>", "<0x41>", "a b c", " ", "a", "\u2581", "<s>", "</s>", "<|im_end|>", "\n\u001b[31mred\u001b[0m", new string('x', 5000),
    ];

    private static readonly string[] InterestingKeys =
    [
        "general.alignment", "general.architecture", "general.name", "llama.attention.key_length", "llama.attention.value_length",
        "llama.rope.dimension_count", "llama.vocab_size", "llama.context_length", "llama.attention.head_count_kv",
        "qwen2.attention.key_length", "qwen2.vocab_size", "tokenizer.ggml.pre", "tokenizer.ggml.model", "tokenizer.ggml.add_eos_token",
        "tokenizer.ggml.add_bos_token", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.fim_pad_token_id", "tokenizer.ggml.merges",
        "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.tokens", "quantruntime.placeholder_vocabulary",
    ];

    private static readonly string[] InterestingTensorNames =
        ["token_embd.weight", "output.weight", "output_norm.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight", "blk.2.attn_norm.weight", "blk.0.attn_q.bias", ""];

    public static Mutant Mutate(Random random, IReadOnlyList<FuzzSeeds.Seed> seeds)
    {
        var seed = seeds[random.Next(seeds.Count)];
        var edits = new StringBuilder(seed.Name);
        byte[] bytes;
        List<(int Offset, int Size)> fields = [];
        bool structural = seed.Gguf is not null && random.Next(10) < 6;
        if (structural)
        {
            var image = seed.Gguf!.Clone();
            int count = random.Next(1, 3);
            for (int i = 0; i < count; i++)
            {
                edits.Append(" | ").Append(MutateImage(random, image));
            }
            bytes = image.Serialize(fields);
        }
        else
        {
            bytes = (byte[])seed.Bytes.Clone();
            fields.AddRange(seed.Fields);
        }
        if (!structural || random.Next(2) == 0)
        {
            int count = random.Next(1, 4);
            for (int i = 0; i < count; i++)
            {
                edits.Append(" | ");
                bytes = MutateBytes(random, bytes, fields, seeds, seed.Gguf is null, edits);
            }
        }
        string name = seed.Name;
        if (random.Next(20) == 0)
        {
            string extension = new[] { ".gguf", ".bin", ".dat" }[random.Next(3)];
            name = Path.ChangeExtension(name, extension);
            edits.Append(" | renamed ").Append(extension);
        }
        return new Mutant(name, bytes, edits.ToString());
    }

    // ---- GGUF parts ----

    private static string MutateImage(Random random, GgufImage image)
    {
        switch (random.Next(16))
        {
            case 0:
            case 1:
            case 2:
            {
                if (image.Entries.Count == 0) return "no entries";
                int i = random.Next(image.Entries.Count);
                var entry = image.Entries[i];
                var value = RandomValue(random, entry.Value);
                image.Entries[i] = GgufImage.Encode(entry.KeyText, value) with { Key = entry.Key };
                return $"entry '{entry.KeyText}' = {value.Type} {Describe(value)}";
            }
            case 3:
            case 4:
            case 5:
            {
                var arrays = image.Entries.Select((e, i) => (e, i)).Where(x => x.e.Value?.Value is GgufArray).ToList();
                if (arrays.Count == 0) return "no arrays";
                var (entry, index) = arrays[random.Next(arrays.Count)];
                var (array, what) = MutateArray(random, (GgufArray)entry.Value!.Value);
                image.Entries[index] = GgufImage.Encode(entry.KeyText, GgufValue.FromArray(array));
                return $"array '{entry.KeyText}' {what}";
            }
            case 6:
            {
                if (image.Entries.Count == 0) return "no entries";
                int i = random.Next(image.Entries.Count);
                string key = image.Entries[i].KeyText;
                image.Entries.RemoveAt(i);
                return $"removed '{key}'";
            }
            case 7:
            {
                if (image.Entries.Count == 0) return "no entries";
                var entry = image.Entries[random.Next(image.Entries.Count)];
                image.Entries.Insert(random.Next(image.Entries.Count + 1), entry);
                return $"duplicated '{entry.KeyText}'";
            }
            case 8:
            {
                string key = InterestingKeys[random.Next(InterestingKeys.Length)];
                var value = RandomValue(random, null);
                image.Entries.RemoveAll(e => e.KeyText == key);
                image.Entries.Insert(random.Next(image.Entries.Count + 1), GgufImage.Encode(key, value));
                return $"set '{key}' = {value.Type} {Describe(value)}";
            }
            case 9:
            {
                if (image.Entries.Count == 0) return "no entries";
                int i = random.Next(image.Entries.Count);
                byte[] key = random.Next(3) switch
                {
                    0 => [0x61, 0xC3, 0x28],
                    1 => Encoding.UTF8.GetBytes(InterestingKeys[random.Next(InterestingKeys.Length)]),
                    _ => [],
                };
                string old = image.Entries[i].KeyText;
                image.Entries[i] = image.Entries[i] with { Key = key };
                return $"renamed key '{old}'";
            }
            case 10:
            case 11:
            case 12:
                return MutateTensor(random, image);
            case 13:
            {
                if (random.Next(2) == 0)
                {
                    image.TensorCountOverride = NearOrBoundary(random, (ulong)image.Tensors.Count);
                    return $"tensor count {image.TensorCountOverride}";
                }
                image.MetadataCountOverride = NearOrBoundary(random, (ulong)image.Entries.Count);
                return $"metadata count {image.MetadataCountOverride}";
            }
            case 14:
            {
                image.Alignment = new[] { 1, 8, 16, 64, 4096 }[random.Next(5)];
                return $"data padded to {image.Alignment}";
            }
            default:
            {
                int length = random.Next(3) switch
                {
                    0 => random.Next(image.Data.Length + 1),
                    1 => image.Data.Length - 1,
                    _ => image.Data.Length + random.Next(1, 128),
                };
                var data = new byte[Math.Max(0, length)];
                image.Data.AsSpan(0, Math.Min(data.Length, image.Data.Length)).CopyTo(data);
                image.Data = data;
                return $"data section {length} bytes";
            }
        }
    }

    private static string MutateTensor(Random random, GgufImage image)
    {
        if (image.Tensors.Count == 0) return "no tensors";
        int i = random.Next(image.Tensors.Count);
        var t = image.Tensors[i];
        string name = Encoding.UTF8.GetString(t.Name);
        switch (random.Next(8))
        {
            case 0:
            {
                ulong[] dims = [.. t.Dimensions];
                int d = random.Next(dims.Length);
                dims[d] = random.Next(3) switch
                {
                    0 => dims[d] * 2,
                    1 => Math.Max(1, dims[d] / 2),
                    _ => Boundaries64[random.Next(Boundaries64.Length)],
                };
                image.Tensors[i] = t with { Dimensions = dims };
                return $"tensor '{name}' dims [{string.Join(", ", dims)}]";
            }
            case 1:
            {
                ulong[] dims = random.Next(2) == 0 && t.Dimensions.Length > 1
                    ? t.Dimensions[..^1]
                    : [.. t.Dimensions, random.Next(2) == 0 ? 1UL : 2UL];
                image.Tensors[i] = t with { Dimensions = dims };
                return $"tensor '{name}' dims [{string.Join(", ", dims)}]";
            }
            case 2:
            {
                uint type = random.Next(3) == 0 ? Boundaries32[random.Next(Boundaries32.Length)] : (uint)random.Next(42);
                image.Tensors[i] = t with { Type = type };
                return $"tensor '{name}' type {type}";
            }
            case 3:
            {
                ulong offset = random.Next(3) switch
                {
                    0 => image.Tensors[random.Next(image.Tensors.Count)].Offset,
                    1 => t.Offset + (ulong)(random.Next(2) == 0 ? image.Alignment : 1),
                    _ => Boundaries64[random.Next(Boundaries64.Length)],
                };
                image.Tensors[i] = t with { Offset = offset };
                return $"tensor '{name}' offset {offset}";
            }
            case 4:
                image.Tensors.RemoveAt(i);
                return $"removed tensor '{name}'";
            case 5:
            {
                string other = InterestingTensorNames[random.Next(InterestingTensorNames.Length)];
                byte[] newName = random.Next(3) == 0 ? image.Tensors[random.Next(image.Tensors.Count)].Name : Encoding.UTF8.GetBytes(other);
                image.Tensors[i] = t with { Name = newName };
                return $"renamed tensor '{name}' to '{Encoding.UTF8.GetString(newName)}'";
            }
            case 6:
            {
                int j = random.Next(image.Tensors.Count);
                var u = image.Tensors[j];
                image.Tensors[i] = t with { Name = u.Name };
                image.Tensors[j] = u with { Name = t.Name };
                return $"swapped names of '{name}' and '{Encoding.UTF8.GetString(u.Name)}'";
            }
            default:
                image.Tensors.Insert(random.Next(image.Tensors.Count + 1), t);
                return $"duplicated tensor '{name}'";
        }
    }

    private static (GgufArray Array, string What) MutateArray(Random random, GgufArray array)
    {
        Array items = array.Items;
        int n = items.Length;
        switch (random.Next(4))
        {
            case 0:
            {
                int keep = random.Next(2) == 0 ? Math.Max(0, n - 1) : random.Next(n + 1);
                return (Rebuild(array, Enumerable.Range(0, keep).Select(i => items.GetValue(i)).ToList()), $"cut to {keep}");
            }
            case 1:
            {
                var list = Enumerable.Range(0, n).Select(i => items.GetValue(i)).ToList();
                int extra = random.Next(1, 4);
                for (int k = 0; k < extra && n > 0; k++) list.Add(items.GetValue(random.Next(n)));
                return (Rebuild(array, list), $"grown by {extra}");
            }
            default:
            {
                if (n == 0) return (array, "empty");
                var list = Enumerable.Range(0, n).Select(i => items.GetValue(i)).ToList();
                int at = random.Next(n);
                object? replacement = array.ElementType switch
                {
                    GgufValueType.String => random.Next(3) == 0 ? list[random.Next(n)] : InterestingStrings[random.Next(InterestingStrings.Length)],
                    GgufValueType.Int32 => new[] { -1, 0, 7, 99, int.MinValue, int.MaxValue, n, n - 1 }[random.Next(8)],
                    GgufValueType.UInt32 => Boundaries32[random.Next(Boundaries32.Length)],
                    GgufValueType.Float32 => new[] { float.NaN, float.PositiveInfinity, -1e30f, 0f }[random.Next(4)],
                    _ => list[random.Next(n)],
                };
                list[at] = replacement;
                return (Rebuild(array, list), $"[{at}] = {Describe(replacement)}");
            }
        }
    }

    private static GgufArray Rebuild(GgufArray template, List<object?> items) => template.ElementType switch
    {
        GgufValueType.String => GgufArray.Of(items.Cast<string>().ToArray()),
        GgufValueType.Int32 => GgufArray.Of(items.Cast<int>().ToArray()),
        GgufValueType.UInt32 => GgufArray.Of(items.Cast<uint>().ToArray()),
        GgufValueType.Float32 => GgufArray.Of(items.Cast<float>().ToArray()),
        GgufValueType.UInt8 => GgufArray.Of(items.Cast<byte>().ToArray()),
        GgufValueType.Bool => GgufArray.Of(items.Cast<bool>().ToArray()),
        GgufValueType.UInt64 => GgufArray.Of(items.Cast<ulong>().ToArray()),
        GgufValueType.Int64 => GgufArray.Of(items.Cast<long>().ToArray()),
        GgufValueType.Float64 => GgufArray.Of(items.Cast<double>().ToArray()),
        GgufValueType.Array => GgufArray.Of(items.Cast<GgufArray>().ToArray()),
        _ => template,
    };

    private static GgufValue RandomValue(Random random, GgufValue? current)
    {
        // Half the time keep the type and change the value; otherwise any type.
        var type = current is not null && random.Next(2) == 0 ? current.Type : (GgufValueType)random.Next(13);
        ulong u = Boundaries64[random.Next(Boundaries64.Length)];
        if (current is not null && random.Next(3) == 0 && current.Value is IConvertible && current.Type != GgufValueType.String)
        {
            try
            {
                u = (ulong)(Convert.ToInt64(current.Value, System.Globalization.CultureInfo.InvariantCulture) + random.Next(-2, 3));
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
            }
        }
        return type switch
        {
            GgufValueType.UInt8 => GgufValue.FromUInt8((byte)u),
            GgufValueType.Int8 => GgufValue.FromInt8((sbyte)u),
            GgufValueType.UInt16 => GgufValue.FromUInt16((ushort)u),
            GgufValueType.Int16 => GgufValue.FromInt16((short)u),
            GgufValueType.UInt32 => GgufValue.FromUInt32((uint)u),
            GgufValueType.Int32 => GgufValue.FromInt32((int)u),
            GgufValueType.Float32 => GgufValue.FromFloat32(new[] { float.NaN, float.PositiveInfinity, 0f, -1f, 1e-45f, 3.5f, 1e30f }[random.Next(7)]),
            GgufValueType.Bool => GgufValue.FromBool(random.Next(2) == 0),
            GgufValueType.String => GgufValue.FromString(InterestingStrings[random.Next(InterestingStrings.Length)]),
            GgufValueType.UInt64 => GgufValue.FromUInt64(u),
            GgufValueType.Int64 => GgufValue.FromInt64((long)u),
            GgufValueType.Float64 => GgufValue.FromFloat64(new[] { double.NaN, double.NegativeInfinity, 0.0, 1e300, 1e-5 }[random.Next(5)]),
            _ => GgufValue.FromArray(random.Next(3) switch
            {
                0 => GgufArray.Of(new[] { "a", "b", "a" }),
                1 => GgufArray.Of(new[] { -1, 0, 1 }),
                _ => GgufArray.Of(Array.Empty<float>()),
            }),
        };
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"'{(s.Length > 20 ? s[..20] + "..." : s)}'",
        GgufValue v => Describe(v.Value),
        GgufArray a => $"[{a.ElementType} x {a.Count}]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static ulong NearOrBoundary(Random random, ulong value) => random.Next(3) switch
    {
        0 => value + 1,
        1 => value == 0 ? 0 : value - 1,
        _ => Boundaries64[random.Next(Boundaries64.Length)],
    };

    // ---- bytes ----

    private static byte[] MutateBytes(Random random, byte[] bytes, List<(int Offset, int Size)> fields, IReadOnlyList<FuzzSeeds.Seed> seeds, bool llama2c, StringBuilder edits)
    {
        if (bytes.Length == 0)
        {
            edits.Append("append");
            return [.. Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256))];
        }
        int choice = random.Next(llama2c ? 12 : 10);
        switch (choice)
        {
            case 0:
            case 1:
            {
                int flips = random.Next(1, 9);
                for (int i = 0; i < flips; i++)
                {
                    int at = HeaderBiased(random, bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                edits.Append($"{flips} bit flips");
                return bytes;
            }
            case 2:
            {
                int at = HeaderBiased(random, bytes.Length);
                bytes[at] = new byte[] { 0, 1, 0x7F, 0x80, 0xFF, (byte)random.Next(256) }[random.Next(6)];
                edits.Append($"byte {at} = {bytes[at]}");
                return bytes;
            }
            case 3:
            case 4:
            case 5:
            case 10:
            case 11:
            {
                var candidates = fields.Where(f => f.Offset + f.Size <= bytes.Length).ToList();
                if (candidates.Count == 0) goto case 2;
                var (offset, size) = candidates[random.Next(candidates.Count)];
                if (size == 8)
                {
                    ulong old = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
                    ulong value = random.Next(4) switch
                    {
                        0 => old + (ulong)random.Next(1, 3),
                        1 => old - (ulong)random.Next(1, 3),
                        2 => (ulong)bytes.Length - (ulong)random.Next(0, 3),
                        _ => Boundaries64[random.Next(Boundaries64.Length)],
                    };
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), value);
                    edits.Append($"u64 at {offset} = {value}");
                }
                else
                {
                    uint old = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
                    uint value = random.Next(4) switch
                    {
                        0 => old + (uint)random.Next(1, 3),
                        1 => old - (uint)random.Next(1, 3),
                        2 => (uint)-(int)old,
                        _ => Boundaries32[random.Next(Boundaries32.Length)],
                    };
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), value);
                    edits.Append($"u32 at {offset} = {value}");
                    if (llama2c && random.Next(2) == 0)
                    {
                        return FitLlama2cSize(bytes, edits);
                    }
                }
                return bytes;
            }
            case 6:
            {
                int length = random.Next(2) == 0 && fields.Count > 0
                    ? Math.Min(bytes.Length, fields[random.Next(fields.Count)].Offset + random.Next(0, 9))
                    : random.Next(bytes.Length);
                edits.Append($"truncated to {length}");
                return bytes[..length];
            }
            case 7:
            {
                var donor = seeds[random.Next(seeds.Count)].Bytes;
                int length = random.Next(1, Math.Min(256, donor.Length));
                int from = random.Next(donor.Length - length + 1);
                int to = HeaderBiased(random, bytes.Length);
                length = Math.Min(length, bytes.Length - to);
                donor.AsSpan(from, length).CopyTo(bytes.AsSpan(to));
                edits.Append($"spliced {length} bytes at {to}");
                return bytes;
            }
            case 8:
            {
                int at = HeaderBiased(random, bytes.Length);
                byte[] insert = [.. Enumerable.Range(0, random.Next(1, 17)).Select(_ => (byte)random.Next(256))];
                edits.Append($"inserted {insert.Length} bytes at {at}");
                return [.. bytes[..at], .. insert, .. bytes[at..]];
            }
            default:
            {
                int at = HeaderBiased(random, bytes.Length);
                int length = Math.Min(random.Next(1, 17), bytes.Length - at);
                edits.Append($"deleted {length} bytes at {at}");
                return [.. bytes[..at], .. bytes[(at + length)..]];
            }
        }
    }

    /// <summary>Resizes a llama2.c file to the size its (mutated) header implies, when that is small, so the deeper checks run.</summary>
    private static byte[] FitLlama2cSize(byte[] bytes, StringBuilder edits)
    {
        if (bytes.Length < 28) return bytes;
        long[] h = [.. Enumerable.Range(0, 7).Select(i => (long)BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i)))];
        long dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = Math.Abs(h[5]), seq = h[6];
        if (heads <= 0 || dim <= 0 || dim % heads != 0) return bytes;
        long headDim = dim / heads;
        long perLayer = 2 * dim + dim * dim + 2 * kvHeads * headDim * dim + dim * dim + 3 * hidden * dim;
        long floats = vocab * dim + layers * perLayer + dim + seq * headDim + (h[5] > 0 ? 0 : vocab * dim);
        long size = 28 + floats * 4;
        if (size < 28 || size > 4 << 20) return bytes;
        var resized = new byte[size];
        bytes.AsSpan(0, (int)Math.Min(size, bytes.Length)).CopyTo(resized);
        edits.Append($", resized to {size}");
        return resized;
    }

    /// <summary>Most damage lands in the first 4 KiB, where the structure is.</summary>
    private static int HeaderBiased(Random random, int length) =>
        random.Next(4) == 0 ? random.Next(length) : random.Next(Math.Min(length, 4096));
}
