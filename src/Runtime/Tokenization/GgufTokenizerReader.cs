using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;

namespace QuantRuntime.Tokenization;

/// <summary>
/// Reads and validates the <c>tokenizer.ggml.*</c> metadata of a GGUF file, applying the defaults
/// llama.cpp applies (llama-vocab.cpp, <c>llama_vocab::impl::load</c>) so that ids, flags and
/// end-of-generation tokens agree with it.
/// </summary>
internal static class GgufTokenizerReader
{
    private const string Prefix = "tokenizer.ggml.";

    // Texts llama.cpp takes as EOT / EOM when the file names none, and as end of generation.
    private static readonly string[] EotTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
    private static readonly HashSet<string> EogTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>",
         "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["];
    // Fill-in-the-middle pad / repository / file-separator tokens also end generation in llama.cpp.
    private static readonly (string Key, string[] Texts)[] FimEog =
    [
        ("fim_pad_token_id", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        ("fim_rep_token_id", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        ("fim_sep_token_id", ["<|file_sep|>"]),
    ];

    /// <summary>The vocabulary, or null when the file carries no tokenizer.</summary>
    /// <exception cref="ModelFormatException">The tokenizer metadata is inconsistent or unsupported.</exception>
    public static TokenizerVocabulary? Read(GgufMetadata metadata)
    {
        string? model = metadata.GetStringOrNull(Prefix + "model");
        var tokensArray = metadata.GetArrayOrNull(Prefix + "tokens");
        if (model is null or "none" or "no_vocab" || tokensArray is null)
        {
            return null;
        }
        bool spm = model == "llama";
        if (!spm && model != "gpt2")
        {
            throw new ModelFormatException($"tokenizer.ggml.model '{model}' is not supported (expected 'llama' or 'gpt2')");
        }
        string[] tokens = ReadTokens(tokensArray);
        int count = tokens.Length;
        var pre = spm ? null : PreTokenizerRules.Resolve(metadata.GetStringOrNull(Prefix + "pre"));

        var forcedControl = new HashSet<int>();
        var types = ReadTypes(metadata, count);
        var byText = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            if (!byText.TryAdd(tokens[id], id))
            {
                throw new ModelFormatException($"tokenizer.ggml.tokens holds '{tokens[id]}' twice (ids {byText[tokens[id]]} and {id})");
            }
        }

        int? Id(string key, int? fallback)
        {
            long? value = metadata.GetIntegerOrNull(Prefix + key);
            if (value is null)
            {
                // llama.cpp drops a built-in default that falls outside the vocabulary.
                return fallback < count ? fallback : null;
            }
            return value >= 0 && value < count
                ? (int)value
                : throw new ModelFormatException($"tokenizer.ggml.{key} = {value} is outside the vocabulary of {count} tokens");
        }

        void ForceControl(int id)
        {
            if (types[id] != TokenType.Control)
            {
                forcedControl.Add(id);
            }
        }

        // A special id the file does not name is found by its text, and then made control.
        int? Detect(int? id, string[] texts)
        {
            if (id is null && texts.FirstOrDefault(byText.ContainsKey) is { } text)
            {
                id = byText[text];
                ForceControl(id.Value);
            }
            return id;
        }

        // llama.cpp's defaults: SentencePiece Llama ids 1/2/0; byte-level BPE 11/11 (sic).
        int? bos = Id("bos_token_id", spm ? 1 : 11);
        int? eos = Id("eos_token_id", spm ? 2 : 11);
        int? eot = Detect(Id("eot_token_id", null), EotTexts);
        int? eom = Detect(Id("eom_token_id", null), ["<|eom_id|>"]);
        var eog = new HashSet<int>();
        foreach (var (key, texts) in FimEog)
        {
            if (Detect(Id(key, null), texts) is int fim)
            {
                eog.Add(fim);
            }
        }
        for (int id = 0; id < count; id++)
        {
            if (EogTexts.Contains(tokens[id]))
            {
                eog.Add(id);
                ForceControl(id);
            }
        }
        foreach (int? id in (int?[])[eos, eot, eom])
        {
            if (id is int special)
            {
                eog.Add(special);
            }
        }

        bool addBos = metadata.GetBoolOrNull(Prefix + "add_bos_token") ?? (spm || pre!.AddBos);
        bool addEos = metadata.GetBoolOrNull(Prefix + "add_eos_token") ?? false;
        if (addBos && bos is null)
        {
            throw new ModelFormatException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        }
        if (addEos && eos is null)
        {
            throw new ModelFormatException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
        }

        return new TokenizerVocabulary
        {
            Model = model,
            PreTokenizer = pre,
            Tokens = tokens,
            Types = types,
            Scores = ReadScores(metadata, count),
            Merges = spm ? [] : ReadMerges(metadata),
            ForcedControl = forcedControl,
            EndOfGeneration = eog,
            Bos = bos,
            Eos = eos,
            Eot = eot,
            Eom = eom,
            Unknown = Id("unknown_token_id", spm ? 0 : null),
            AddBos = addBos,
            AddEos = addEos,
            AddSpacePrefix = metadata.GetBoolOrNull(Prefix + "add_space_prefix") ?? spm,
        };
    }

    private static string[] ReadTokens(GgufArray array)
    {
        string[] tokens = [.. Typed<string>(array, "tokens")];
        if (tokens.Length == 0)
        {
            throw new ModelFormatException("tokenizer.ggml.tokens is empty");
        }
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id].Length == 0)
            {
                tokens[id] = $"[EMPTY_{id}]"; // as llama.cpp names them
            }
        }
        return tokens;
    }

    private static TokenType[] ReadTypes(GgufMetadata metadata, int count)
    {
        var array = metadata.GetArrayOrNull(Prefix + "token_type");
        if (array is null)
        {
            return Enumerable.Repeat(TokenType.Normal, count).ToArray();
        }
        int[] values = Typed<int>(array, "token_type");
        CheckCount(values.Length, count, "token_type");
        var types = new TokenType[count];
        for (int id = 0; id < count; id++)
        {
            types[id] = values[id] is >= 0 and <= (int)TokenType.Byte
                ? (TokenType)values[id]
                : throw new ModelFormatException($"tokenizer.ggml.token_type[{id}] = {values[id]} is not a token type (0-6)");
        }
        return types;
    }

    private static float[] ReadScores(GgufMetadata metadata, int count)
    {
        var array = metadata.GetArrayOrNull(Prefix + "scores");
        if (array is null)
        {
            return new float[count];
        }
        float[] scores = array.ElementType == GgufValueType.Int32
            ? [.. array.As<int>().Select(s => (float)s)] // llama.cpp accepts integer scores too
            : Typed<float>(array, "scores");
        CheckCount(scores.Length, count, "scores");
        return scores;
    }

    private static string[] ReadMerges(GgufMetadata metadata)
    {
        var array = metadata.GetArrayOrNull(Prefix + "merges")
            ?? throw new ModelFormatException("tokenizer.ggml.merges is missing (required by a 'gpt2' tokenizer)");
        string[] merges = Typed<string>(array, "merges");
        for (int i = 0; i < merges.Length; i++)
        {
            // llama.cpp splits at the first space after the first character.
            int space = merges[i].Length > 1 ? merges[i].IndexOf(' ', 1) : -1;
            if (space < 0 || space == merges[i].Length - 1 || merges[i].IndexOf(' ', space + 1) >= 0)
            {
                throw new ModelFormatException($"tokenizer.ggml.merges[{i}] = '{merges[i]}' is not two tokens separated by one space");
            }
        }
        return merges;
    }

    private static T[] Typed<T>(GgufArray array, string key)
    {
        try
        {
            return array.As<T>();
        }
        catch (InvalidCastException)
        {
            throw new ModelFormatException($"tokenizer.ggml.{key} is an array of {array.ElementType}, expected {typeof(T).Name}");
        }
    }

    private static void CheckCount(int actual, int tokens, string key)
    {
        if (actual != tokens)
        {
            throw new ModelFormatException($"tokenizer.ggml.{key} has {actual} entries but tokenizer.ggml.tokens has {tokens}");
        }
    }
}
