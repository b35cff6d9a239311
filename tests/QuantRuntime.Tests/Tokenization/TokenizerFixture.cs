using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tests.Support;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>One test vocabulary as QuantRuntime and llama.cpp each load it from the same GGUF file.</summary>
/// <param name="Name">The case: "spm" or the tokenizer.ggml.pre of a byte-level BPE vocabulary.</param>
/// <param name="Ours">QuantRuntime's tokenizer.</param>
/// <param name="LlamaCpp">llama.cpp's.</param>
/// <param name="LlamaCppCleansSpaces">Whether llama_detokenize applies clean_spaces for this vocabulary.</param>
public sealed record TokenizerCase(string Name, ModelTokenizer Ours, LlamaCppVocabulary LlamaCpp, bool LlamaCppCleansSpaces)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>Builds the test vocabularies once: a SentencePiece one and a byte-level one under five pre-tokenizers.</summary>
public sealed class TokenizerFixture : IDisposable
{
    /// <summary>The case names, for theories.</summary>
    public static readonly TheoryData<string> CaseNames = ["spm", "gpt-2", "llama-bpe", "qwen2", "default", "smollm"];

    private readonly TempDirectory _directory = new();
    private readonly Dictionary<string, TokenizerCase> _cases = [];

    /// <summary>Writes and loads every case.</summary>
    public TokenizerFixture()
    {
        var spm = SyntheticVocabularies.SentencePiece();
        Load("spm", spm, "llama", pre: null, cleansSpaces: false, extra: null);
        var bpe = SyntheticVocabularies.ByteLevel();
        uint endOfText = (uint)Array.IndexOf(bpe.Tokens, SyntheticVocabularies.EndOfText);
        foreach (string pre in new[] { "gpt-2", "llama-bpe", "qwen2", "default", "smollm" })
        {
            Load(pre, bpe, "gpt2", pre, cleansSpaces: pre is "gpt-2" or "llama-bpe" or "default",
                w => w.Add("tokenizer.ggml.bos_token_id", endOfText).Add("tokenizer.ggml.eos_token_id", endOfText));
        }
    }

    /// <summary>A case by name.</summary>
    public TokenizerCase this[string name] => _cases[name];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var c in _cases.Values)
        {
            c.LlamaCpp.Dispose();
        }
        _directory.Dispose();
    }

    private void Load(string name, SyntheticVocabularies.Vocabulary vocabulary, string model, string? pre, bool cleansSpaces, Action<GgufWriter>? extra)
    {
        string path = _directory.File(name + ".gguf");
        SyntheticVocabularies.WriteGguf(path, vocabulary, model, pre, extra);
        ModelTokenizer ours;
        using (var file = GgufFile.Open(path))
        {
            ours = ModelTokenizer.FromGguf(file.Metadata) ?? throw new InvalidOperationException("no tokenizer read");
        }
        _cases[name] = new TokenizerCase(name, ours, new LlamaCppVocabulary(path), cleansSpaces);
    }
}

/// <summary>Tokenizer tests share one fixture and never run in parallel with each other.</summary>
[CollectionDefinition(Name)]
public sealed class TokenizerCollection : ICollectionFixture<TokenizerFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "Tokenization";
}
