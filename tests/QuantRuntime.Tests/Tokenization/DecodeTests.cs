using System.Text;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>Round trips and the streaming decoder.</summary>
[Collection(TokenizerCollection.Name)]
public sealed class DecodeTests(TokenizerFixture fixture)
{
    private static readonly string[] SpecialTexts =
        [SyntheticVocabularies.ImStart, SyntheticVocabularies.ImEnd, SyntheticVocabularies.EndOfText, SyntheticVocabularies.ToolOpen,
         SyntheticVocabularies.ToolClose, SyntheticVocabularies.ToolCall, "<s>", "</s>", "<unk>", "<unused0>", "<0x"];

    [Theory]
    [MemberData(nameof(TokenizerFixture.CaseNames), MemberType = typeof(TokenizerFixture))]
    public void Decode_of_encode_round_trips(string name)
    {
        var tokenizer = fixture[name].Ours;
        bool spm = tokenizer.Model == "llama";
        foreach (string text in TokenizationStrings.All)
        {
            bool plain = !SpecialTexts.Any(text.Contains) && !text.Contains('\u2581');
            if (!spm || plain)
            {
                // Byte-level BPE is lossless for any text; SentencePiece only without special tokens
                // (llama.cpp puts a space after each) and without '▁' (which reads back as a space).
                Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: false)));
            }
            if (plain)
            {
                // With BOS, llama_detokenize keeps the dummy-prefix space of SentencePiece text.
                string expected = spm && text.Length > 0 ? " " + text : text;
                Assert.Equal(expected, tokenizer.Decode(tokenizer.Encode(text), skipSpecialTokens: true));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TokenizerFixture.CaseNames), MemberType = typeof(TokenizerFixture))]
    public void Streaming_emits_the_decoded_text_in_whole_characters(string name)
    {
        var tokenizer = fixture[name].Ours;
        foreach (string text in TokenizationStrings.All)
        {
            var ids = tokenizer.Encode(text);
            foreach (bool skip in new[] { false, true })
            {
                var decoder = new StreamingDecoder(tokenizer, skip, startOfText: true);
                var chunks = ids.Select(decoder.Append).ToList();
                chunks.Add(decoder.Flush());
                Assert.Equal(tokenizer.Decode(ids, skip), string.Concat(chunks));
                Assert.All(chunks, chunk => Assert.True(IsWhole(chunk, allowReplacement: false), $"chunk {LlamaCppParityTests.Show(chunk)} of {LlamaCppParityTests.Show(text)}"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TokenizerFixture.CaseNames), MemberType = typeof(TokenizerFixture))]
    public void Streaming_matches_decode_on_random_ids(string name)
    {
        var tokenizer = fixture[name].Ours;
        var random = new Random(7);
        for (int run = 0; run < 300; run++)
        {
            // Random ids, half of them single bytes, make split and invalid UTF-8 sequences.
            int[] ids = [.. Enumerable.Range(0, random.Next(1, 20)).Select(_ => random.Next(2) == 0 ? ByteToken(tokenizer, random.Next(256)) : random.Next(tokenizer.VocabularySize))];
            foreach (bool skip in new[] { false, true })
            {
                var decoder = new StreamingDecoder(tokenizer, skip, startOfText: true);
                var chunks = ids.Select(decoder.Append).ToList();
                chunks.Add(decoder.Flush());
                Assert.Equal(tokenizer.Decode(ids, skip), string.Concat(chunks));
                Assert.All(chunks, chunk => Assert.True(IsWhole(chunk, allowReplacement: true)));
            }
        }
    }

    [Fact]
    public void Streaming_holds_back_a_character_split_over_byte_tokens()
    {
        var tokenizer = fixture["spm"].Ours;
        var ids = tokenizer.Encode("한", addSpecialTokens: false); // not in the vocabulary: three byte tokens
        Assert.Equal(["▁", "<0xED>", "<0x95>", "<0x9C>"], ids.Select(tokenizer.GetTokenText));
        var decoder = new StreamingDecoder(tokenizer);
        Assert.Equal([" ", "", "", "한"], ids.Select(decoder.Append));
        Assert.Equal("", decoder.Flush());

        // An unfinished character at the end comes out as U+FFFD, as Decode has it.
        Assert.Equal("", decoder.Append(ids[1]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("\uFFFD", tokenizer.Decode([ids[1]]));
    }

    [Fact]
    public void Generated_text_keeps_its_leading_space_unless_it_starts_a_text()
    {
        var tokenizer = fixture["spm"].Ours;
        var ids = tokenizer.Encode("Hello world", addSpecialTokens: false);
        Assert.Equal(" Hello world", string.Concat(ids.Select(new StreamingDecoder(tokenizer).Append)));
        Assert.Equal("Hello world", string.Concat(ids.Select(new StreamingDecoder(tokenizer, startOfText: true).Append)));
        Assert.Equal("Hello world", tokenizer.Decode(ids));
        Assert.Equal("<s> Hello world", tokenizer.Decode(tokenizer.Encode("Hello world")));
    }

    [Fact]
    public void Special_tokens_are_parsed_only_when_asked_except_user_defined_ones()
    {
        var tokenizer = fixture["qwen2"].Ours;
        int imStart = tokenizer.Encode(SyntheticVocabularies.ImStart, addSpecialTokens: false).Single();
        Assert.True(tokenizer.IsControl(imStart));
        Assert.True(tokenizer.Encode(SyntheticVocabularies.ImStart, addSpecialTokens: false, parseSpecialTokens: false).Count > 1);
        Assert.Single(tokenizer.Encode(SyntheticVocabularies.ToolCall, addSpecialTokens: false, parseSpecialTokens: false));
        Assert.Equal("<|im_start|>user", tokenizer.Decode(tokenizer.Encode("<|im_start|>user")));
        Assert.Equal("user", tokenizer.Decode(tokenizer.Encode("<|im_start|>user"), skipSpecialTokens: true));
        Assert.True(tokenizer.IsEndOfGeneration(tokenizer.Encode(SyntheticVocabularies.ImEnd, addSpecialTokens: false).Single()));
    }

    [Fact]
    public void Llama3_takes_whole_words_from_the_vocabulary()
    {
        var llama3 = fixture["llama-bpe"].Ours;
        var gpt2 = fixture["gpt-2"].Ours;
        Assert.Equal(["\u0120wonderful"], llama3.Encode(" wonderful", addSpecialTokens: false).Select(llama3.GetTokenText));
        Assert.True(gpt2.Encode(" wonderful", addSpecialTokens: false).Count > 1);
        Assert.Equal(llama3.BosId, llama3.Encode("x")[0]);
        Assert.NotEqual(gpt2.BosId, gpt2.Encode("x")[0]);
    }

    [Theory]
    [InlineData("gpt-2", "1234567 a😀b 𝐀𝐁c", "1234567| a|😀|b| 𝐀𝐁c")]
    [InlineData("llama-bpe", "1234567 a😀b 𝐀𝐁c", "123|456|7| a|😀b| 𝐀𝐁c")]
    [InlineData("qwen2", "1234567 a😀b 𝐀𝐁c", "1|2|3|4|5|6|7| a|😀b| 𝐀𝐁c")]
    [InlineData("default", "1234567 it's!", "123|456|7| it|'|s|!")] // punctuation is split off first
    [InlineData("llama-bpe", "a  \n\n b", "a|  \n\n| b")]
    public void Pre_tokenizers_split_digits_and_whole_code_points_as_llama_cpp(string pre, string text, string expected)
    {
        var words = new List<(int Start, int Length)>();
        RegexWordSplitter.Split(text, PreTokenizerRules.Resolve(pre).Patterns, words);
        Assert.Equal(expected, string.Join('|', words.Select(w => text.Substring(w.Start, w.Length))));
    }

    // The test vocabularies keep bytes at fixed ids: <0x00>.. from 3 (SentencePiece), byte characters from 0 (byte-level).
    private static int ByteToken(ModelTokenizer tokenizer, int b) => tokenizer.Model == "llama" ? 3 + b : b;

    // No chunk may hold half a surrogate pair; replacement characters only where bytes were invalid.
    private static bool IsWhole(string chunk, bool allowReplacement)
    {
        for (int i = 0; i < chunk.Length; i++)
        {
            if (char.IsHighSurrogate(chunk[i]) && i + 1 < chunk.Length && char.IsLowSurrogate(chunk[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chunk[i]))
            {
                return false;
            }
        }
        return allowReplacement || !chunk.Contains('\uFFFD');
    }
}
