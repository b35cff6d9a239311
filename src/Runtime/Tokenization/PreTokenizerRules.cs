using System.Text.RegularExpressions;
using QuantRuntime.Formats;

namespace QuantRuntime.Tokenization;

/// <summary>
/// How a byte-level BPE vocabulary splits text into words before merging, chosen by
/// <c>tokenizer.ggml.pre</c>. The patterns are llama.cpp's (src/llama-vocab.cpp), applied the way
/// llama.cpp applies them: each pattern in turn re-splits every word of the previous one, and
/// text a pattern does not match stays a word of its own.
/// </summary>
internal sealed class PreTokenizerRules
{
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly string[] DefaultPatterns = [@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"];

    private PreTokenizerRules(string name, string[] patterns, bool ignoreMerges = false, bool addBos = false)
    {
        Name = name;
        // Compiled: these run over every prompt; construction happens once per model.
        Patterns = [.. patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant))];
        IgnoreMerges = ignoreMerges;
        AddBos = addBos;
    }

    /// <summary>The <c>tokenizer.ggml.pre</c> value ("default" when the file has none).</summary>
    public string Name { get; }

    /// <summary>The split patterns, applied in order.</summary>
    public IReadOnlyList<Regex> Patterns { get; }

    /// <summary>A word that is itself in the vocabulary becomes that token without merging (Llama 3).</summary>
    public bool IgnoreMerges { get; }

    /// <summary>llama.cpp's default for <c>add_bos_token</c> with this pre-tokenizer.</summary>
    public bool AddBos { get; }

    /// <summary>The rules for a <c>tokenizer.ggml.pre</c> value (null or empty: llama.cpp's "default").</summary>
    /// <exception cref="ModelFormatException">The value is not one QuantRuntime knows.</exception>
    public static PreTokenizerRules Resolve(string? pre) => ResolveName(pre ?? "default");

    private static PreTokenizerRules ResolveName(string pre) => pre switch
    {
        "" or "default" => new("default", DefaultPatterns),
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2"
            => new(pre, [Llama3], ignoreMerges: true, addBos: true),
        "dbrx" or "smaug-bpe" => new(pre, [Llama3]),
        // "gpt2" is not a llama.cpp name (it says "gpt-2") but is what people write.
        "gpt-2" or "gpt2" or "phi-2" or "mpt" or "olmo" or "jais" or "trillion" or "granite-docling" or "exaone4"
            or "gigachat" or "mellum" => new(pre, [Gpt2]),
        "qwen2" or "deepseek-r1-qwen" or "megrez" or "stablelm2" or "hunyuan" or "kormo" or "f2llmv2" or "solar-open"
            => new(pre, [Qwen2]),
        "starcoder" or "refact" or "command-r" or "smollm" or "codeshell" or "exaone" or "minerva-7b" or "mellum2"
            => new(pre, [@"\p{N}", Gpt2]),
        _ => throw new ModelFormatException($"tokenizer.ggml.pre '{pre}' is not a pre-tokenizer QuantRuntime supports"),
    };
}
