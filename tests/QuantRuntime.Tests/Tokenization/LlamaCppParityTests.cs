using System.Text;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>QuantRuntime's tokenizers against llama.cpp's on the same GGUF vocabularies.</summary>
[Collection(TokenizerCollection.Name)]
public sealed class LlamaCppParityTests(TokenizerFixture fixture)
{
    [Theory]
    [MemberData(nameof(TokenizerFixture.CaseNames), MemberType = typeof(TokenizerFixture))]
    public void Encode_matches_llama_cpp(string name)
    {
        var c = fixture[name];
        var mismatches = new List<string>();
        int compared = 0;
        foreach (string text in TokenizationStrings.All)
        {
            foreach (var (addSpecial, parseSpecial) in new[] { (true, true), (false, false), (true, false) })
            {
                int[] expected = c.LlamaCpp.Tokenize(text, addSpecial, parseSpecial);
                var actual = c.Ours.Encode(text, addSpecial, parseSpecial);
                compared++;
                if (!expected.SequenceEqual(actual))
                {
                    mismatches.Add($"{Show(text)} add={addSpecial} parse={parseSpecial}: llama.cpp [{string.Join(' ', expected)}] ours [{string.Join(' ', actual)}]");
                }
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ:\n{string.Join('\n', mismatches.Take(15))}");
    }

    [Theory]
    [MemberData(nameof(TokenizerFixture.CaseNames), MemberType = typeof(TokenizerFixture))]
    public void Token_bytes_and_attributes_match_llama_cpp(string name)
    {
        var c = fixture[name];
        Assert.Equal(c.LlamaCpp.Vocab.Count, c.Ours.VocabularySize);
        Assert.Equal(c.LlamaCpp.Vocab.BOS is { } bos ? (int?)bos : null, c.Ours.BosId);
        Assert.Equal(c.LlamaCpp.Vocab.EOS is { } eos ? (int?)eos : null, c.Ours.EosId);
        Assert.Equal(c.LlamaCpp.Vocab.ShouldAddBOS, c.Ours.AddBos);
        Assert.Equal(c.LlamaCpp.Vocab.ShouldAddEOS, c.Ours.AddEos);
        for (int id = 0; id < c.Ours.VocabularySize; id++)
        {
            Assert.True(c.LlamaCpp.TokenToPiece(id, special: true).AsSpan().SequenceEqual(c.Ours.GetTokenBytes(id)), $"bytes of token {id} {Show(c.Ours.GetTokenText(id))}");
            Assert.True(c.LlamaCpp.IsControl(id) == c.Ours.IsControl(id), $"IsControl({id}) {Show(c.Ours.GetTokenText(id))}");
            Assert.True(c.LlamaCpp.IsEndOfGeneration(id) == c.Ours.IsEndOfGeneration(id), $"IsEndOfGeneration({id}) {Show(c.Ours.GetTokenText(id))}");
        }
    }

    [Theory]
    [MemberData(nameof(TokenizerFixture.CaseNames), MemberType = typeof(TokenizerFixture))]
    public void Decode_matches_llama_cpp(string name)
    {
        var c = fixture[name];
        var mismatches = new List<string>();
        foreach (string text in TokenizationStrings.All)
        {
            var ids = c.Ours.Encode(text);
            foreach (bool skip in new[] { false, true })
            {
                // Generation prints token_to_piece of each token: what a StreamingDecoder emits.
                string pieces = Encoding.UTF8.GetString([.. ids.SelectMany(id => c.LlamaCpp.TokenToPiece(id, special: !skip))]);
                var stream = new StreamingDecoder(c.Ours, skip);
                string streamed = string.Concat(ids.Select(stream.Append).ToList()) + stream.Flush();
                if (streamed != pieces)
                {
                    mismatches.Add($"{Show(text)} skip={skip} stream: llama.cpp {Show(pieces)} ours {Show(streamed)}");
                }
                // llama_detokenize, where it does not also clean up spaces around punctuation.
                if (!c.LlamaCppCleansSpaces)
                {
                    string expected = c.LlamaCpp.Detokenize(ids, removeSpecial: skip, unparseSpecial: !skip);
                    string actual = c.Ours.Decode(ids, skip);
                    if (actual != expected)
                    {
                        mismatches.Add($"{Show(text)} skip={skip} detokenize: llama.cpp {Show(expected)} ours {Show(actual)}");
                    }
                }
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} differ:\n{string.Join('\n', mismatches.Take(15))}");
    }

    internal static string Show(string text)
    {
        var s = new StringBuilder("\"");
        foreach (var rune in text.EnumerateRunes())
        {
            s.Append(rune.Value is < 0x20 or 0x7F or 0x85 or 0xA0 or 0x2028 or 0x200B or 0x200D ? $"\\u{rune.Value:X4}" : rune.ToString());
        }
        return s.Append('"').ToString();
    }
}
