using System.Text;
using System.Text.RegularExpressions;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>
/// Test vocabularies learned from <see cref="TrainingText"/> by tiny BPE trainers, and the GGUF
/// files that carry them (with the llama hyperparameters llama.cpp wants before it will load a
/// vocabulary-only model).
/// </summary>
public static class SyntheticVocabularies
{
    public const string ImStart = "<|im_start|>", ImEnd = "<|im_end|>", EndOfText = "<|endoftext|>";
    public const string ToolOpen = "<tool>", ToolClose = "</tool>", ToolCall = "<tool_call>";

    public sealed record Vocabulary(string[] Tokens, float[] Scores, TokenType[] Types, string[]? Merges);

    /// <summary>A SentencePiece vocabulary: unk/bos/eos, 256 byte tokens, learned pieces, specials.</summary>
    public static Vocabulary SentencePiece()
    {
        var tokens = new List<(string Text, float Score, TokenType Type)>
        {
            ("<unk>", 0, TokenType.Unknown), ("<s>", 0, TokenType.Control), ("</s>", 0, TokenType.Control),
        };
        tokens.AddRange(Enumerable.Range(0, 256).Select(b => ($"<0x{b:X2}>", 0f, TokenType.Byte)));
        var words = TrainingText.English.Split('\n')
            .Select(line => "\u2581" + line.Trim().Replace(' ', '\u2581'))
            .SelectMany(line => Regex.Split(line, "(?=\u2581)").Where(w => w.Length > 0));
        var (pieces, _) = Learn(words.Select(w => w.EnumerateRunes().Select(r => r.ToString()).ToList()), merges: 420);
        var seen = new HashSet<string>(tokens.Select(t => t.Text));
        foreach (var (piece, rank) in pieces.Select((p, i) => (p, i)))
        {
            if (seen.Add(piece))
            {
                tokens.Add((piece, -rank, TokenType.Normal));
            }
        }
        // Single characters rank below every merge; whitespace runs as Llama has them.
        var chars = TrainingText.English.Replace(' ', '\u2581').Replace("\n", "").EnumerateRunes().Select(r => r.ToString())
            .GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key);
        foreach (var (c, rank) in chars.Select((c, i) => (c, i)))
        {
            if (seen.Add(c))
            {
                tokens.Add((c, -1000 - rank, TokenType.Normal));
            }
        }
        foreach (var (text, score) in new[] { ("\u2581\u2581", -5.5f), ("\u2581\u2581\u2581\u2581", -50.5f), ("\u2581\u2581\u2581", -80.5f) })
        {
            if (seen.Add(text))
            {
                tokens.Add((text, score, TokenType.Normal));
            }
        }
        tokens.AddRange([(ImStart, 0, TokenType.Control), (ImEnd, 0, TokenType.Control), (ToolOpen, 0, TokenType.UserDefined),
            (ToolClose, 0, TokenType.UserDefined), ("<unused0>", 0, TokenType.Unused)]);
        return new([.. tokens.Select(t => t.Text)], [.. tokens.Select(t => t.Score)], [.. tokens.Select(t => t.Type)], null);
    }

    /// <summary>A byte-level BPE vocabulary: GPT-2's 256 byte characters, learned merges, whole-word tokens, specials.</summary>
    public static Vocabulary ByteLevel()
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteChar((byte)b).ToString()).ToList();
        var split = new Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");
        var words = split.Matches(TrainingText.English).Select(m =>
            Encoding.UTF8.GetBytes(m.Value).Select(b => ByteChar(b).ToString()).ToList());
        var (pieces, merges) = Learn(words, merges: 600);
        var seen = new HashSet<string>(tokens);
        tokens.AddRange(pieces.Where(seen.Add));
        // Whole words no merge builds: only Llama 3's ignore_merges reaches them.
        tokens.AddRange(new[] { "\u0120wonderful", "\u0120QuantRuntime", "tokenizer" }.Where(seen.Add));
        var types = Enumerable.Repeat(TokenType.Normal, tokens.Count).ToList();
        foreach (var (text, type) in new[] { (EndOfText, TokenType.Control), (ImStart, TokenType.Control), (ImEnd, TokenType.Control), (ToolCall, TokenType.UserDefined) })
        {
            tokens.Add(text);
            types.Add(type);
        }
        return new([.. tokens], new float[tokens.Count], [.. types], [.. merges]);
    }

    /// <summary>Writes a vocabulary-only GGUF that both llama.cpp and QuantRuntime load.</summary>
    public static void WriteGguf(string path, Vocabulary vocabulary, string model, string? pre, Action<GgufWriter>? extra = null)
    {
        var writer = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.name", "tokenizer-test")
            .Add("llama.context_length", 2048u)
            .Add("llama.embedding_length", 64u)
            .Add("llama.block_count", 1u)
            .Add("llama.feed_forward_length", 128u)
            .Add("llama.attention.head_count", 4u)
            .Add("llama.attention.head_count_kv", 4u)
            .Add("llama.rope.dimension_count", 16u)
            .Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .Add("llama.vocab_size", (uint)vocabulary.Tokens.Length)
            .Add("tokenizer.ggml.model", model);
        if (pre is not null)
        {
            writer.Add("tokenizer.ggml.pre", pre);
        }
        writer.Add("tokenizer.ggml.tokens", GgufArray.Of(vocabulary.Tokens))
            .Add("tokenizer.ggml.scores", GgufArray.Of(vocabulary.Scores))
            .Add("tokenizer.ggml.token_type", GgufArray.Of(vocabulary.Types.Select(t => (int)t).ToArray()));
        if (vocabulary.Merges is not null)
        {
            writer.Add("tokenizer.ggml.merges", GgufArray.Of(vocabulary.Merges));
        }
        extra?.Invoke(writer);
        writer.Save(path);
    }

    /// <summary>Greedy BPE training: repeatedly merge the most frequent adjacent pair (ties: ordinal order).</summary>
    private static (List<string> Pieces, List<string> Merges) Learn(IEnumerable<List<string>> words, int merges)
    {
        var corpus = words.Where(w => w.Count > 0).ToList();
        var pieces = new List<string>();
        var mergeList = new List<string>();
        for (int step = 0; step < merges; step++)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var word in corpus)
            {
                for (int i = 0; i + 1 < word.Count; i++)
                {
                    counts[(word[i], word[i + 1])] = counts.GetValueOrDefault((word[i], word[i + 1])) + 1;
                }
            }
            if (counts.Count == 0)
            {
                break;
            }
            var best = counts.OrderByDescending(c => c.Value)
                .ThenBy(c => c.Key.Item1, StringComparer.Ordinal).ThenBy(c => c.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < 2)
            {
                break;
            }
            var (left, right) = best.Key;
            foreach (var word in corpus)
            {
                for (int i = 0; i + 1 < word.Count; i++)
                {
                    if (word[i] == left && word[i + 1] == right)
                    {
                        word[i] = left + right;
                        word.RemoveAt(i + 1);
                    }
                }
            }
            pieces.Add(left + right);
            mergeList.Add($"{left} {right}");
        }
        return (pieces, mergeList);
    }

    private static char ByteChar(byte b) =>
        b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE ? (char)b : (char)(256 + Enumerable.Range(0, b).Count(x => !(x is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE)));
}
