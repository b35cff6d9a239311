using System.Text.Json;
using System.Text.RegularExpressions;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Formats.HuggingFace;

/// <summary>
/// Reads a checkpoint's <c>tokenizer.json</c> (with <c>tokenizer_config.json</c> and
/// <c>chat_template.jinja</c> when present) into the GGUF <c>tokenizer.*</c> metadata llama.cpp
/// reads: the same vocabulary, types, merges and special ids, so that
/// <see cref="ModelTokenizer.FromGguf"/> builds the runtime's tokenizer from it and
/// <c>quant convert</c> writes it. Two kinds are recognised from the pipeline:
/// <list type="bullet">
/// <item>byte-level BPE (GPT-2, Qwen2, SmolLM, Llama 3): a <c>ByteLevel</c> pre-tokenizer or decoder;
/// GGUF model <c>gpt2</c>, with the pre-tokenizer name (<c>gpt-2</c>, <c>qwen2</c>, <c>llama-bpe</c>,
/// <c>smollm</c>) chosen from the pre-tokenizer's structure and split pattern;</item>
/// <item>SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral): a <c>▁</c>
/// normalizer or <c>Metaspace</c> pre-tokenizer; GGUF model <c>llama</c>, whose merge order is a
/// score per token: each token scores minus the rank of the first merge that makes it, so
/// llama.cpp's highest-score-first merging replays the file's merges in rank order.</item>
/// </list>
/// </summary>
public static class HuggingFaceTokenizer
{
    /// <summary>The largest tokenizer.json read.</summary>
    public const long MaxTokenizerJsonBytes = 512L << 20;

    /// <summary>The largest tokenizer_config.json or chat_template.jinja read.</summary>
    public const long MaxConfigBytes = 64L << 20;

    /// <summary>Most tokens a vocabulary may have (as <see cref="Models.TransformerConfig"/> allows).</summary>
    public const int MaxTokens = 1 << 22;

    private const string GgufPrefix = "tokenizer.ggml.";
    private const char SpmSpace = '\u2581';

    // Split patterns of the byte-level pre-tokenizers, as Transformers writes them, and llama.cpp's names for them.
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Regex ByteToken = new("^<0x[0-9A-Fa-f]{2}>$", RegexOptions.CultureInvariant);

    /// <summary>
    /// The GGUF tokenizer metadata of the checkpoint in <paramref name="folder"/>, or null when it
    /// has no tokenizer.json.
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="config">The model's config.json: its vocab_size pads the vocabulary (as llama.cpp's converter does, with
    /// unused <c>[PADn]</c> tokens) and its special ids are a fallback; null to take the tokenizer alone.</param>
    /// <param name="generation">generation_config.json, a last fallback for special ids.</param>
    /// <exception cref="ModelFormatException">A file is malformed or the tokenizer is of a kind not supported.</exception>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>>? ReadGgufMetadata(string folder,
        HuggingFaceModelConfig? config = null, HuggingFaceGenerationConfig? generation = null)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path))
        {
            return null;
        }
        using var json = JsonFile.Read(path, MaxTokenizerJsonBytes);
        JsonFile? tokenizerConfig = null;
        string configPath = Path.Combine(folder, "tokenizer_config.json");
        try
        {
            if (File.Exists(configPath))
            {
                tokenizerConfig = JsonFile.Read(configPath, MaxConfigBytes);
            }
            string templatePath = Path.Combine(folder, "chat_template.jinja");
            string? template = File.Exists(templatePath) ? ReadText(templatePath) : null;
            return new Reader(json, tokenizerConfig, config, generation, template).Read();
        }
        finally
        {
            tokenizerConfig?.Dispose();
        }
    }

    /// <summary>Builds the runtime's tokenizer for the checkpoint in <paramref name="folder"/>, or null without a tokenizer.json.</summary>
    /// <exception cref="ModelFormatException">A file is malformed or the tokenizer is of a kind not supported.</exception>
    public static ModelTokenizer? Load(string folder, HuggingFaceModelConfig? config = null, HuggingFaceGenerationConfig? generation = null) =>
        ReadGgufMetadata(folder, config, generation) is { } entries ? FromMetadata(new GgufMetadata(entries)) : null;

    /// <summary>The tokenizer of converted metadata, with its complaints attributed to tokenizer.json.</summary>
    internal static ModelTokenizer? FromMetadata(GgufMetadata metadata)
    {
        try
        {
            return ModelTokenizer.FromGguf(metadata);
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException($"tokenizer.json: {e.Message}", e);
        }
    }

    private static string ReadText(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > MaxConfigBytes)
        {
            throw new ModelFormatException($"{Path.GetFileName(path)} is {length} bytes, over the {MaxConfigBytes}-byte limit");
        }
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new ModelFormatException($"{Path.GetFileName(path)} is not valid UTF-8");
        }
    }

    /// <summary>Whether llama.cpp's converter takes an added token as control although it is not marked special.</summary>
    private static bool LooksSpecial(string text) =>
        text is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal) && text.Length >= 4)
        || (text.StartsWith("<\uFF5C", StringComparison.Ordinal) && text.EndsWith("\uFF5C>", StringComparison.Ordinal) && text.Length >= 4)
        || (text.StartsWith("<unused", StringComparison.Ordinal) && text.EndsWith('>'));

    private sealed class Reader(JsonFile json, JsonFile? tokenizerConfig, HuggingFaceModelConfig? config, HuggingFaceGenerationConfig? generation, string? templateFile)
    {
        private readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);
        private readonly List<(string Left, string Right)> _merges = [];
        private readonly List<(int Id, string Content, bool Special)> _added = [];

        public List<KeyValuePair<string, GgufValue>> Read()
        {
            var model = json.Member("model") ?? throw json.Error("'model' is missing");
            if (model.ValueKind != JsonValueKind.Object)
            {
                throw json.Error("'model' is not an object");
            }
            string type = json.String(model, "type") ?? "BPE";
            if (type != "BPE")
            {
                throw json.Error($"model type '{type}' is not supported (only BPE: byte-level as GPT-2/Qwen2/SmolLM, or SentencePiece-style with byte fallback as Llama/Mistral)");
            }
            foreach (string key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            {
                if (json.String(model, key) is { Length: > 0 } affix)
                {
                    throw json.Error($"BPE {key} '{affix}' is not supported");
                }
            }
            ReadVocab(model);
            ReadMerges(model);
            ReadAddedTokens();
            bool byteFallback = json.Bool(model, "byte_fallback") ?? false;
            string? unkText = json.String(model, "unk_token");

            var normalizers = Flatten(json.Member("normalizer"), "normalizers");
            var preTokenizers = Flatten(json.Member("pre_tokenizer"), "pretokenizers");
            var decoders = Flatten(json.Member("decoder"), "decoders");
            bool byteLevel = preTokenizers.Any(p => TypeOf(p) == "ByteLevel") || decoders.Any(d => TypeOf(d) == "ByteLevel");
            bool spm = byteFallback || preTokenizers.Any(p => TypeOf(p) == "Metaspace")
                || normalizers.Any(n => TypeOf(n) is "Prepend" or "Replace")
                || decoders.Any(d => TypeOf(d) is "ByteFallback" or "Metaspace");
            if (byteLevel == spm)
            {
                throw json.Error(byteLevel
                    ? "the pipeline mixes byte-level and SentencePiece steps; cannot tell the tokenizer kind"
                    : "neither a ByteLevel pre-tokenizer (byte-level BPE) nor a ▁ normalizer / Metaspace with byte fallback (SentencePiece-style BPE): tokenizer kind not supported");
            }

            string? pre = null;
            bool? addSpacePrefix = null;
            if (byteLevel)
            {
                pre = ByteLevelPreTokenizer(normalizers, preTokenizers);
            }
            else
            {
                if (!byteFallback)
                {
                    throw json.Error("SentencePiece-style BPE without byte_fallback is not supported");
                }
                addSpacePrefix = SentencePieceSpacePrefix(normalizers, preTokenizers);
            }

            var (tokens, types) = BuildVocabulary(spm, unkText, out int? unk);
            int count = tokens.Length;
            var byText = new Dictionary<string, int>(count, StringComparer.Ordinal);
            for (int id = 0; id < count; id++)
            {
                byText.TryAdd(tokens[id], id);
            }

            // Special ids: tokenizer_config.json names them by text; config.json and generation_config.json by id.
            int? Named(string key)
            {
                if (tokenizerConfig is null || TokenText(tokenizerConfig, key) is not { } text)
                {
                    return null;
                }
                return byText.TryGetValue(text, out int id) ? id : throw tokenizerConfig.Error($"{key} '{text}' is not in the vocabulary");
            }
            int? Checked(int? id, string key) => id is null || id < count
                ? id
                : throw new ModelFormatException($"{key} {id} is outside the vocabulary of {count} tokens");
            int? bos = Checked(Named("bos_token") ?? config?.BosTokenId ?? generation?.BosTokenId, "bos_token_id");
            int? eos = Checked(Named("eos_token") ?? First(config?.EosTokenIds) ?? First(generation?.EosTokenIds), "eos_token_id");
            int? pad = Checked(Named("pad_token") ?? config?.PadTokenId ?? generation?.PadTokenId, "pad_token_id");
            unk ??= Named("unk_token");
            if (unk is int unknown && spm)
            {
                types[unknown] = TokenType.Unknown;
            }

            var (templateAddBos, templateAddEos) = PostProcessorSpecials(bos is int b ? tokens[b] : null, eos is int e ? tokens[e] : null);
            bool? addBos = (tokenizerConfig is { } tc1 ? tc1.Bool(tc1.Root, "add_bos_token") : null) ?? templateAddBos;
            bool? addEos = (tokenizerConfig is { } tc2 ? tc2.Bool(tc2.Root, "add_eos_token") : null) ?? templateAddEos;
            if (addBos == true && bos is null)
            {
                throw new ModelFormatException("tokenizer asks for a BOS token (add_bos_token) but names none (bos_token)");
            }
            if (addEos == true && eos is null)
            {
                throw new ModelFormatException("tokenizer asks for an EOS token (add_eos_token) but names none (eos_token)");
            }

            var entries = new List<KeyValuePair<string, GgufValue>>();
            void Add(string key, GgufValue value) => entries.Add(new(key, value));
            Add(GgufPrefix + "model", GgufValue.FromString(spm ? "llama" : "gpt2"));
            if (pre is not null)
            {
                Add(GgufPrefix + "pre", GgufValue.FromString(pre));
            }
            Add(GgufPrefix + "tokens", GgufValue.FromArray(GgufArray.Of(tokens)));
            if (spm)
            {
                Add(GgufPrefix + "scores", GgufValue.FromArray(GgufArray.Of(Scores(count))));
            }
            Add(GgufPrefix + "token_type", GgufValue.FromArray(GgufArray.Of(types.Select(t => (int)t).ToArray())));
            if (!spm)
            {
                Add(GgufPrefix + "merges", GgufValue.FromArray(GgufArray.Of(GgufMerges())));
            }
            foreach (var (key, id) in new[] { ("bos_token_id", bos), ("eos_token_id", eos), ("unknown_token_id", unk), ("padding_token_id", pad) })
            {
                if (id is int value)
                {
                    Add(GgufPrefix + key, GgufValue.FromUInt32((uint)value));
                }
            }
            if (addBos is bool ab)
            {
                Add(GgufPrefix + "add_bos_token", GgufValue.FromBool(ab));
            }
            if (addEos is bool ae)
            {
                Add(GgufPrefix + "add_eos_token", GgufValue.FromBool(ae));
            }
            if (addSpacePrefix is bool asp)
            {
                Add(GgufPrefix + "add_space_prefix", GgufValue.FromBool(asp));
            }
            if ((templateFile ?? ChatTemplate()) is { } template)
            {
                Add("tokenizer.chat_template", GgufValue.FromString(template));
            }
            return entries;
        }

        private void ReadVocab(JsonElement model)
        {
            var vocab = JsonFile.Member(model, "vocab") ?? throw json.Error("model.vocab is missing");
            if (vocab.ValueKind != JsonValueKind.Object)
            {
                throw json.Error("model.vocab is not an object of token ids");
            }
            var byId = new Dictionary<int, string>();
            foreach (var entry in vocab.EnumerateObject())
            {
                string text = json.KeyOf(entry);
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id is < 0 or >= MaxTokens)
                {
                    throw json.Error($"model.vocab '{Show(text)}' has id {JsonFile.Shown(entry.Value)}, not an integer in [0, {MaxTokens})");
                }
                if (!_vocab.TryAdd(text, id))
                {
                    throw json.Error($"model.vocab holds '{Show(text)}' twice");
                }
                if (!byId.TryAdd(id, text))
                {
                    throw json.Error($"model.vocab gives id {id} to both '{Show(byId[id])}' and '{Show(text)}'");
                }
            }
            if (_vocab.Count == 0)
            {
                throw json.Error("model.vocab is empty");
            }
        }

        private void ReadMerges(JsonElement model)
        {
            if (JsonFile.Member(model, "merges") is not { } merges)
            {
                return;
            }
            if (merges.ValueKind != JsonValueKind.Array)
            {
                throw json.Error("model.merges is not a list");
            }
            int rank = 0;
            foreach (var merge in merges.EnumerateArray())
            {
                string left, right;
                if (merge.ValueKind == JsonValueKind.String)
                {
                    // "left right": exactly one space, as the tokenizers library requires.
                    string[] parts = json.Text(merge, $"model.merges[{rank}]").Split(' ');
                    if (parts.Length != 2)
                    {
                        throw json.Error($"model.merges[{rank}] {JsonFile.Shown(merge)} is not two tokens separated by one space");
                    }
                    (left, right) = (parts[0], parts[1]);
                }
                else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                    && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                {
                    (left, right) = (json.Text(merge[0], $"model.merges[{rank}]"), json.Text(merge[1], $"model.merges[{rank}]"));
                }
                else
                {
                    throw json.Error($"model.merges[{rank}] {JsonFile.Shown(merge)} is neither \"a b\" nor [\"a\", \"b\"]");
                }
                foreach (string part in new[] { left, right, left + right })
                {
                    if (!_vocab.ContainsKey(part))
                    {
                        throw json.Error($"model.merges[{rank}] ('{Show(left)}', '{Show(right)}'): '{Show(part)}' is not in model.vocab");
                    }
                }
                _merges.Add((left, right));
                rank++;
            }
        }

        private void ReadAddedTokens()
        {
            if (json.Member("added_tokens") is not { } added)
            {
                return;
            }
            if (added.ValueKind != JsonValueKind.Array)
            {
                throw json.Error("added_tokens is not a list");
            }
            int index = 0;
            foreach (var token in added.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.Object)
                {
                    throw json.Error($"added_tokens[{index}] is not an object");
                }
                int id = (int)(json.Integer(token, "id", 0, MaxTokens - 1) ?? throw json.Error($"added_tokens[{index}] has no id"));
                string content = json.String(token, "content") ?? throw json.Error($"added_tokens[{index}] has no content");
                if (content.Length == 0)
                {
                    throw json.Error($"added_tokens[{index}] (id {id}) is empty");
                }
                _added.Add((id, content, json.Bool(token, "special") ?? false));
                index++;
            }
        }

        private (string[] Tokens, TokenType[] Types) BuildVocabulary(bool spm, string? unkText, out int? unk)
        {
            int highest = Math.Max(_vocab.Values.Max(), _added.Count == 0 ? -1 : _added.Max(a => a.Id));
            int count = highest + 1;
            if (config is not null)
            {
                if (count > config.VocabularySize)
                {
                    throw new ModelFormatException(
                        $"tokenizer.json has token id {highest} but config.json's vocab_size is {config.VocabularySize}");
                }
                count = config.VocabularySize;
            }
            var tokens = new string?[count];
            var types = new TokenType[count];
            foreach (var (text, id) in _vocab)
            {
                tokens[id] = text;
                types[id] = spm && ByteToken.IsMatch(text) ? TokenType.Byte : TokenType.Normal;
            }
            foreach (var (id, content, special) in _added)
            {
                if (tokens[id] is { } existing && existing != content)
                {
                    throw json.Error($"added token {id} '{Show(content)}' has id {id}, which model.vocab gives to '{Show(existing)}'");
                }
                if (_vocab.TryGetValue(content, out int other) && other != id)
                {
                    throw json.Error($"added token '{Show(content)}' has id {id} but model.vocab gives it id {other}");
                }
                tokens[id] = content;
                types[id] = special || LooksSpecial(content) ? TokenType.Control : TokenType.UserDefined;
            }
            unk = null;
            if (unkText is not null)
            {
                unk = _vocab.TryGetValue(unkText, out int u) ? u
                    : _added.FirstOrDefault(a => a.Content == unkText) is { Content: not null } a ? a.Id
                    : throw json.Error($"model.unk_token '{Show(unkText)}' is not in the vocabulary");
            }
            for (int id = 0; id < count; id++)
            {
                if (tokens[id] is null)
                {
                    tokens[id] = $"[PAD{id}]"; // llama.cpp's converter fills gaps the same way
                    types[id] = TokenType.Unused;
                }
            }
            return (tokens.Select(t => t!).ToArray(), types);
        }

        // Minus the rank of the first merge that builds each token; tokens no merge builds rank after all merges.
        private float[] Scores(int count)
        {
            var firstRank = new Dictionary<int, int>();
            for (int rank = 0; rank < _merges.Count; rank++)
            {
                firstRank.TryAdd(_vocab[_merges[rank].Left + _merges[rank].Right], rank);
            }
            var scores = new float[count];
            for (int id = 0; id < count; id++)
            {
                scores[id] = firstRank.TryGetValue(id, out int rank) ? -rank : -(_merges.Count + (float)id);
            }
            return scores;
        }

        private string[] GgufMerges()
        {
            var merges = new string[_merges.Count];
            for (int i = 0; i < merges.Length; i++)
            {
                var (left, right) = _merges[i];
                if (left.Contains(' ') || right.Contains(' '))
                {
                    throw json.Error($"model.merges[{i}] ('{Show(left)}', '{Show(right)}') holds a space, which GGUF merges cannot carry");
                }
                merges[i] = $"{left} {right}";
            }
            return merges;
        }

        /// <summary>llama.cpp's <c>tokenizer.ggml.pre</c> for a byte-level pipeline, recognised by its steps.</summary>
        private string ByteLevelPreTokenizer(List<JsonElement> normalizers, List<JsonElement> preTokenizers)
        {
            foreach (var n in normalizers)
            {
                // NFC is what Qwen2 declares; llama.cpp does not apply it either.
                if (TypeOf(n) != "NFC")
                {
                    throw json.Error($"normalizer '{TypeOf(n)}' is not supported with byte-level BPE (only NFC, which is not applied, as in llama.cpp)");
                }
            }
            var steps = preTokenizers.Select(TypeOf).ToArray();
            foreach (var p in preTokenizers.Where(p => TypeOf(p) == "ByteLevel"))
            {
                if (json.Bool(p, "add_prefix_space") == true)
                {
                    throw json.Error("ByteLevel add_prefix_space = true is not supported");
                }
            }
            bool ByteLevelRegex(JsonElement p) => json.Bool(p, "use_regex") ?? true;
            string described = steps.Length == 0 ? "(none)" : string.Join(" + ", steps);
            switch (steps)
            {
                case ["ByteLevel"] when ByteLevelRegex(preTokenizers[0]):
                    return "gpt-2";
                case ["Digits", "ByteLevel"] when json.Bool(preTokenizers[0], "individual_digits") == true && ByteLevelRegex(preTokenizers[1]):
                    return "smollm";
                case ["Split", "ByteLevel"] when !ByteLevelRegex(preTokenizers[1]):
                    var pattern = JsonFile.Member(preTokenizers[0], "pattern");
                    string? regex = pattern is { } pt ? json.String(pt, "Regex") : null;
                    return regex switch
                    {
                        Qwen2Pattern => "qwen2",
                        Llama3Pattern => "llama-bpe",
                        Gpt2Pattern => "gpt-2",
                        null => throw json.Error("the Split pre-tokenizer has no Regex pattern"),
                        _ => throw json.Error($"the Split pre-tokenizer's pattern '{Show(regex)}' is not one QuantRuntime knows (GPT-2, Qwen2, Llama 3)"),
                    };
                default:
                    throw json.Error($"byte-level pre-tokenizer {described} is not one QuantRuntime knows (ByteLevel as GPT-2, Digits + ByteLevel as SmolLM, Split + ByteLevel as Qwen2 or Llama 3)");
            }
        }

        /// <summary>Whether SentencePiece-style text gets a leading '▁' (Prepend normalizer, or Metaspace prepending).</summary>
        private bool SentencePieceSpacePrefix(List<JsonElement> normalizers, List<JsonElement> preTokenizers)
        {
            bool prefix = false;
            foreach (var n in normalizers)
            {
                switch (TypeOf(n))
                {
                    case "Prepend" when json.String(n, "prepend") == SpmSpace.ToString():
                        prefix = true;
                        break;
                    case "Replace" when ReplacePattern(n) == " " && json.String(n, "content") == SpmSpace.ToString():
                        break;
                    default:
                        throw json.Error($"normalizer '{TypeOf(n)}' is not supported with SentencePiece-style BPE (only Prepend '▁' and Replace ' ' → '▁')");
                }
            }
            foreach (var p in preTokenizers)
            {
                if (TypeOf(p) != "Metaspace" || (json.String(p, "replacement") ?? SpmSpace.ToString()) != SpmSpace.ToString())
                {
                    throw json.Error($"pre-tokenizer '{TypeOf(p)}' is not supported with SentencePiece-style BPE (only Metaspace '▁')");
                }
                string scheme = json.String(p, "prepend_scheme") ?? (json.Bool(p, "add_prefix_space") == false ? "never" : "always");
                prefix |= scheme is "always" or "first";
            }
            return prefix;
        }

        private string? ReplacePattern(JsonElement replace) =>
            JsonFile.Member(replace, "pattern") is { } pattern ? json.String(pattern, "String") : null;

        /// <summary>Whether a TemplateProcessing post-processor puts BOS in front and EOS behind a single sequence.</summary>
        private (bool? AddBos, bool? AddEos) PostProcessorSpecials(string? bosText, string? eosText)
        {
            foreach (var processor in Flatten(json.Member("post_processor"), "processors"))
            {
                if (TypeOf(processor) != "TemplateProcessing" || JsonFile.Member(processor, "single") is not { ValueKind: JsonValueKind.Array } single)
                {
                    continue;
                }
                var items = single.EnumerateArray().ToList();
                string? SpecialText(JsonElement item) =>
                    JsonFile.Member(item, "SpecialToken") is { } special ? json.String(special, "id") : null;
                bool addBos = items.Count > 0 && SpecialText(items[0]) is { } first && first == bosText;
                bool addEos = items.Count > 1 && SpecialText(items[^1]) is { } last && last == eosText;
                return (addBos, addEos);
            }
            return (null, null);
        }

        private string? ChatTemplate()
        {
            if (tokenizerConfig is null || tokenizerConfig.Member("chat_template") is not { } template)
            {
                return null;
            }
            if (template.ValueKind == JsonValueKind.String)
            {
                return tokenizerConfig.Text(template, "chat_template");
            }
            if (template.ValueKind == JsonValueKind.Array)
            {
                // A list of named templates: the one named "default", as llama.cpp's converter takes.
                foreach (var named in template.EnumerateArray())
                {
                    if (tokenizerConfig.String(named, "name") == "default")
                    {
                        return tokenizerConfig.String(named, "template");
                    }
                }
                return null;
            }
            throw tokenizerConfig.Error("chat_template must be a string or a list of named templates");
        }

        private static string? TokenText(JsonFile file, string key) => file.Member(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } value => file.Text(value, key),
            { ValueKind: JsonValueKind.Object } value => file.String(value, "content"),
            { } value => throw file.Error($"'{key}' must be a string or an object with content, not {JsonFile.Shown(value)}"),
        };

        private List<JsonElement> Flatten(JsonElement? element, string sequenceKey)
        {
            var steps = new List<JsonElement>();
            void Visit(JsonElement e, int depth)
            {
                if (e.ValueKind != JsonValueKind.Object)
                {
                    throw json.Error($"a {sequenceKey} step is not an object");
                }
                if (TypeOf(e) != "Sequence")
                {
                    steps.Add(e);
                    return;
                }
                if (depth > 8 || JsonFile.Member(e, sequenceKey) is not { ValueKind: JsonValueKind.Array } inner)
                {
                    throw json.Error($"a Sequence has no list of {sequenceKey}");
                }
                foreach (var step in inner.EnumerateArray())
                {
                    Visit(step, depth + 1);
                }
            }
            if (element is { } root)
            {
                Visit(root, 0);
            }
            return steps;
        }

        private string TypeOf(JsonElement step) =>
            json.String(step, "type") ?? throw json.Error($"a pipeline step has no type: {JsonFile.Shown(step)}");

        private static int? First(IReadOnlyList<int>? ids) => ids is { Count: > 0 } ? ids[0] : null;

        private static string Show(string text) => SafeTensors.SafeTensorsFile.Show(text);
    }
}
