using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuantRuntime.Formats.SafeTensors;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Tests.Tokenization;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.HuggingFace;

/// <summary>How a test tokenizer.json is written.</summary>
public enum TokenizerStyle
{
    /// <summary>Llama 2 / TinyLlama as saved by older Transformers: Prepend + Replace normalizer, "a b" merges.</summary>
    SentencePieceLegacy,

    /// <summary>Llama as saved by newer Transformers: Metaspace pre-tokenizer (prepend first), ["a", "b"] merges.</summary>
    SentencePieceMetaspace,

    /// <summary>Qwen2: NFC normalizer, Split (Qwen2 pattern) + ByteLevel pre-tokenizer.</summary>
    Qwen2ByteLevel,
}

/// <summary>
/// Writes Hugging Face checkpoint folders as Transformers saves them: config.json,
/// model.safetensors (or shards with model.safetensors.index.json) under HF tensor names in HF's
/// Q/K row order (random weights are random in any order: our engine runs them half-split, as HF
/// does), tokenizer.json with the real structure built from the test vocabularies,
/// tokenizer_config.json and generation_config.json.
/// </summary>
public static class HuggingFaceFolder
{
    public const string ChatTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A written folder and what it holds.</summary>
    public sealed record Written(string Folder, TransformerConfig Config, TransformerWeights Weights, SyntheticVocabularies.Vocabulary Vocabulary);

    /// <summary>
    /// A llama (HalfSplit, as HF runs it) with the shape of <see cref="Oracle.SyntheticOracleModels.Llama"/>, or a qwen2 with
    /// the shape of <see cref="Oracle.SyntheticOracleModels.Qwen2"/>, for a vocabulary of <paramref name="tokens"/> tokens
    /// (config vocab_size rounded up to 64, so the tokenizer gets padding entries).
    /// </summary>
    public static TransformerConfig Config(string architecture, int tokens)
    {
        int vocabulary = (tokens + 63) / 64 * 64;
        var shape = Oracle.SyntheticOracleModels.For(architecture);
        return shape with { VocabularySize = vocabulary, RopeStyle = RopeStyle.HalfSplit };
    }

    /// <summary>Writes a whole checkpoint folder.</summary>
    /// <param name="folder">Where (created if needed).</param>
    /// <param name="architecture">"llama" or "qwen2".</param>
    /// <param name="dtype">Storage of every tensor (F32, F16, BF16).</param>
    /// <param name="style">The tokenizer.json flavour.</param>
    /// <param name="shards">1 for model.safetensors, more for model-0000i-of-0000n.safetensors with an index.</param>
    /// <param name="seed">Seed of the random weights.</param>
    public static Written Write(string folder, string architecture, TensorType dtype, TokenizerStyle style, int shards = 1, ulong seed = 59)
    {
        Directory.CreateDirectory(folder);
        var vocabulary = style == TokenizerStyle.Qwen2ByteLevel ? SyntheticVocabularies.ByteLevel() : SyntheticVocabularies.SentencePiece();
        var config = Config(architecture, vocabulary.Tokens.Length);
        var weights = SyntheticWeights.Create(config, seed).Map((_, t) => RowEncoder.Convert(t, dtype));
        WriteConfig(folder, config, vocabulary, dtype);
        WriteWeights(folder, config, weights, shards);
        WriteTokenizer(folder, vocabulary, style);
        return new Written(folder, config, weights, vocabulary);
    }

    /// <summary>HF tensor names of every tensor, in Transformers' state-dict order.</summary>
    public static IEnumerable<(string Name, HostTensor Tensor)> Named(TransformerConfig config, TransformerWeights weights)
    {
        yield return ("model.embed_tokens.weight", weights.TokenEmbedding);
        for (int i = 0; i < weights.Blocks.Count; i++)
        {
            var b = weights.Blocks[i];
            string p = $"model.layers.{i}.";
            yield return (p + "self_attn.q_proj.weight", b.Query);
            if (b.QueryBias is not null) yield return (p + "self_attn.q_proj.bias", b.QueryBias);
            yield return (p + "self_attn.k_proj.weight", b.Key);
            if (b.KeyBias is not null) yield return (p + "self_attn.k_proj.bias", b.KeyBias);
            yield return (p + "self_attn.v_proj.weight", b.Value);
            if (b.ValueBias is not null) yield return (p + "self_attn.v_proj.bias", b.ValueBias);
            yield return (p + "self_attn.o_proj.weight", b.AttentionOutput);
            yield return (p + "mlp.gate_proj.weight", b.Gate);
            yield return (p + "mlp.up_proj.weight", b.Up);
            yield return (p + "mlp.down_proj.weight", b.Down);
            yield return (p + "input_layernorm.weight", b.AttentionNorm);
            yield return (p + "post_attention_layernorm.weight", b.FeedForwardNorm);
        }
        yield return ("model.norm.weight", weights.OutputNorm);
        if (!config.TiedEmbeddings)
        {
            yield return ("lm_head.weight", weights.Output);
        }
    }

    public static void WriteWeights(string folder, TransformerConfig config, TransformerWeights weights, int shards)
    {
        var all = Named(config, weights).ToList();
        if (shards == 1)
        {
            var writer = new SafeTensorsWriter().AddMetadata("format", "pt");
            foreach (var (name, tensor) in all)
            {
                writer.Add(name, tensor, asVector: tensor.Rows == 1);
            }
            writer.Save(Path.Combine(folder, "model.safetensors"));
            return;
        }
        var weightMap = new JsonObject();
        long total = 0;
        int perShard = (all.Count + shards - 1) / shards;
        for (int s = 0; s < shards; s++)
        {
            string file = string.Create(CultureInfo.InvariantCulture, $"model-{s + 1:D5}-of-{shards:D5}.safetensors");
            var writer = new SafeTensorsWriter().AddMetadata("format", "pt");
            foreach (var (name, tensor) in all.Skip(s * perShard).Take(perShard))
            {
                writer.Add(name, tensor, asVector: tensor.Rows == 1);
                weightMap[name] = file;
                total += tensor.Data.Length;
            }
            writer.Save(Path.Combine(folder, file));
        }
        WriteJson(Path.Combine(folder, "model.safetensors.index.json"), new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = total },
            ["weight_map"] = weightMap,
        });
    }

    public static void WriteConfig(string folder, TransformerConfig config, SyntheticVocabularies.Vocabulary vocabulary, TensorType dtype)
    {
        bool qwen2 = config.Architecture == "qwen2";
        int Id(string text) => Array.IndexOf(vocabulary.Tokens, text);
        int bos = qwen2 ? Id(SyntheticVocabularies.EndOfText) : 1, eos = qwen2 ? Id(SyntheticVocabularies.EndOfText) : 2;
        string torchDtype = dtype switch { TensorType.F16 => "float16", TensorType.BF16 => "bfloat16", _ => "float32" };
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = config.Architecture,
            ["hidden_size"] = config.EmbeddingLength,
            ["intermediate_size"] = config.FeedForwardLength,
            ["num_hidden_layers"] = config.BlockCount,
            ["num_attention_heads"] = config.HeadCount,
            ["num_key_value_heads"] = config.KvHeadCount,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = config.ContextLength,
            ["rms_norm_eps"] = (double)(decimal)config.RmsNormEpsilon,
            ["rope_theta"] = (double)config.RopeTheta,
            ["rope_scaling"] = null,
            ["vocab_size"] = config.VocabularySize,
            ["tie_word_embeddings"] = config.TiedEmbeddings,
            ["bos_token_id"] = bos,
            ["eos_token_id"] = eos,
            ["torch_dtype"] = torchDtype,
            ["use_cache"] = true,
            ["initializer_range"] = 0.02,
            ["transformers_version"] = "4.44.0",
        };
        if (qwen2)
        {
            json["use_sliding_window"] = false;
            json["sliding_window"] = 4096;
            json["max_window_layers"] = config.BlockCount;
            json["attention_dropout"] = 0.0;
        }
        else
        {
            json["head_dim"] = config.HeadDim; // 8 x 16 heads over a 96-wide residual stream
            json["attention_bias"] = false;
            json["mlp_bias"] = false;
            json["pretraining_tp"] = 1;
        }
        WriteJson(Path.Combine(folder, "config.json"), json);
        var generation = new JsonObject { ["bos_token_id"] = bos, ["eos_token_id"] = new JsonArray(eos), ["do_sample"] = true, ["temperature"] = 0.7, ["top_p"] = 0.8, ["top_k"] = 20 };
        WriteJson(Path.Combine(folder, "generation_config.json"), generation);
    }

    public static void WriteTokenizer(string folder, SyntheticVocabularies.Vocabulary vocabulary, TokenizerStyle style)
    {
        WriteJson(Path.Combine(folder, "tokenizer.json"), style == TokenizerStyle.Qwen2ByteLevel ? ByteLevelJson(vocabulary) : SentencePieceJson(vocabulary, style));
        var config = style == TokenizerStyle.Qwen2ByteLevel
            ? new JsonObject
            {
                ["add_prefix_space"] = false,
                ["bos_token"] = null,
                ["eos_token"] = SyntheticVocabularies.EndOfText,
                ["pad_token"] = SyntheticVocabularies.EndOfText,
                ["errors"] = "replace",
                ["model_max_length"] = 32768,
                ["tokenizer_class"] = "Qwen2Tokenizer",
                ["chat_template"] = ChatTemplate,
            }
            : new JsonObject
            {
                ["add_bos_token"] = true,
                ["add_eos_token"] = false,
                // Both forms Transformers writes: an AddedToken object and a plain string.
                ["bos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<s>", ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false },
                ["eos_token"] = "</s>",
                ["unk_token"] = "<unk>",
                ["pad_token"] = null,
                ["legacy"] = style == TokenizerStyle.SentencePieceLegacy,
                ["model_max_length"] = 2048,
                ["tokenizer_class"] = "LlamaTokenizer",
                ["chat_template"] = new JsonArray(new JsonObject { ["name"] = "default", ["template"] = ChatTemplate }, new JsonObject { ["name"] = "tool_use", ["template"] = "{{ tools }}" }),
            };
        WriteJson(Path.Combine(folder, "tokenizer_config.json"), config);
    }

    /// <summary>
    /// Merges as Transformers' SentencePieceExtractor derives them from a SentencePiece model: every split of
    /// every normal piece into two vocabulary pieces, ordered by the piece's score (highest first), then by ids.
    /// </summary>
    public static List<(string Left, string Right)> SentencePieceMerges(SyntheticVocabularies.Vocabulary vocabulary)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Tokens.Length; i++)
        {
            ids.TryAdd(vocabulary.Tokens[i], i);
        }
        var merges = new List<(string Left, string Right, float Score, int Id, int LeftId, int RightId)>();
        for (int id = 0; id < vocabulary.Tokens.Length; id++)
        {
            if (vocabulary.Types[id] != TokenType.Normal)
            {
                continue;
            }
            string piece = vocabulary.Tokens[id];
            // Split between code points, as Python slices a str.
            int offset = 0;
            var runeStarts = new List<int>();
            foreach (var r in piece.EnumerateRunes())
            {
                runeStarts.Add(offset);
                offset += r.Utf16SequenceLength;
            }
            foreach (int split in runeStarts.Skip(1))
            {
                string left = piece[..split], right = piece[split..];
                if (ids.TryGetValue(left, out int l) && ids.TryGetValue(right, out int r))
                {
                    merges.Add((left, right, vocabulary.Scores[id], id, l, r));
                }
            }
        }
        return [.. merges.OrderByDescending(m => m.Score).ThenBy(m => m.Id).ThenBy(m => m.LeftId).ThenBy(m => m.RightId).Select(m => (m.Left, m.Right))];
    }

    private static JsonObject SentencePieceJson(SyntheticVocabularies.Vocabulary vocabulary, TokenizerStyle style)
    {
        var vocab = new JsonObject();
        var added = new JsonArray();
        for (int id = 0; id < vocabulary.Tokens.Length; id++)
        {
            string text = vocabulary.Tokens[id];
            vocab[text] = id;
            var type = vocabulary.Types[id];
            if (type is TokenType.Unknown or TokenType.Control or TokenType.UserDefined)
            {
                added.Add(AddedToken(id, text, special: type != TokenType.UserDefined));
            }
        }
        bool metaspace = style == TokenizerStyle.SentencePieceMetaspace;
        var merges = new JsonArray();
        foreach (var (left, right) in SentencePieceMerges(vocabulary))
        {
            merges.Add(metaspace ? new JsonArray(left, right) : $"{left} {right}");
        }
        JsonNode Replace(string from, string to) => new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = from }, ["content"] = to };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = metaspace ? null : new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" }, Replace(" ", "\u2581")),
            },
            ["pre_tokenizer"] = metaspace ? new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "first", ["split"] = false } : null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["special_tokens"] = new JsonObject { ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("<s>") } },
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(Replace("\u2581", " "), new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = "<unk>",
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true,
                ["byte_fallback"] = true,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = merges,
            },
        };
    }

    private static JsonObject ByteLevelJson(SyntheticVocabularies.Vocabulary vocabulary)
    {
        var vocab = new JsonObject();
        var added = new JsonArray();
        for (int id = 0; id < vocabulary.Tokens.Length; id++)
        {
            var type = vocabulary.Types[id];
            if (type == TokenType.Normal)
            {
                vocab[vocabulary.Tokens[id]] = id;
            }
            else
            {
                added.Add(AddedToken(id, vocabulary.Tokens[id], special: type == TokenType.Control));
            }
        }
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    byteLevel.DeepClone()),
            },
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. vocabulary.Merges!.Select(m => (JsonNode)m)]),
            },
        };
    }

    private static JsonObject AddedToken(int id, string content, bool special) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = !special,
        ["special"] = special,
    };

    public static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString(Indented));
}
