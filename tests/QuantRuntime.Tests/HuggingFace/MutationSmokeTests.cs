using System.Text;
using QuantRuntime.Formats;
using QuantRuntime.Formats.HuggingFace;
using QuantRuntime.Formats.SafeTensors;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;
using QuantRuntime.Tests.Tokenization;

namespace QuantRuntime.Tests.HuggingFace;

/// <summary>
/// A short seeded mutation run over a valid safetensors image and a valid config.json: every
/// mutant either parses or fails with <see cref="ModelFormatException"/> (a smoke test; the
/// reliability fuzzer runs the long campaigns).
/// </summary>
public sealed class MutationSmokeTests
{
    [Fact]
    public void Mutated_safetensors_parse_or_fail_with_a_format_error()
    {
        var writer = new SafeTensorsWriter()
            .Add("model.embed_tokens.weight", HostTensor.FromFloats(4, 8, new float[32]))
            .Add("model.norm.weight", "F16", [8], new byte[16])
            .Add("scalar", "I64", [], new byte[8])
            .AddMetadata("format", "pt");
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] valid = stream.ToArray();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid);
        var random = new Random(20240611);
        byte[] interesting = [.. "{}[]\",:0123456789-.e"u8, 0, 0xFF, 0x80, (byte)'\\'];
        for (int i = 0; i < 3000; i++)
        {
            byte[] mutant = (byte[])valid.Clone();
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                int at = random.Next(0, random.Next(2) == 0 ? headerEnd : mutant.Length);
                mutant[at] = random.Next(3) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            }
            if (random.Next(8) == 0)
            {
                mutant = mutant[..random.Next(mutant.Length)];
            }
            try
            {
                using var file = SafeTensorsFile.Parse(mutant);
                foreach (var tensor in file.Tensors)
                {
                    _ = file.GetData(tensor);
                }
            }
            catch (ModelFormatException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }

    [Fact]
    public void Mutated_config_json_parses_or_fails_with_a_format_error()
    {
        string valid = """
            {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 128, "intermediate_size": 288,
             "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
             "rope_theta": 1000000.0, "vocab_size": 896, "max_position_embeddings": 256, "tie_word_embeddings": true,
             "rope_scaling": null, "eos_token_id": [5, 6], "sliding_window": 128, "use_sliding_window": false}
            """;
        var random = new Random(7);
        const string interesting = "{}[]\",:0123456789-.etrufalsn \\";
        for (int i = 0; i < 3000; i++)
        {
            var mutant = new StringBuilder(valid);
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                mutant[random.Next(mutant.Length)] = interesting[random.Next(interesting.Length)];
            }
            try
            {
                HuggingFaceModelConfig.Parse(mutant.ToString()).ToTransformerConfig();
            }
            catch (ModelFormatException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }

    [Theory]
    [InlineData(TokenizerStyle.SentencePieceLegacy)]
    [InlineData(TokenizerStyle.Qwen2ByteLevel)]
    public void Mutated_tokenizer_json_loads_or_fails_with_a_format_error(TokenizerStyle style)
    {
        using var temp = new TempDirectory();
        var vocabulary = style == TokenizerStyle.Qwen2ByteLevel ? SyntheticVocabularies.ByteLevel() : SyntheticVocabularies.SentencePiece();
        HuggingFaceFolder.WriteTokenizer(temp.Path, vocabulary, style);
        string path = Path.Combine(temp.Path, "tokenizer.json");
        string valid = File.ReadAllText(path);
        // Mutate the structural part (everything but the long vocab and merges) more often than the rest.
        int modelAt = valid.IndexOf("\"model\"", StringComparison.Ordinal);
        var random = new Random(style == TokenizerStyle.Qwen2ByteLevel ? 11 : 13);
        const string interesting = "{}[]\",:0123456789-.etrufalsn \\<>|";
        for (int i = 0; i < 300; i++)
        {
            var mutant = new StringBuilder(valid);
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                int at = random.Next(2) == 0 ? random.Next(Math.Min(modelAt + 400, mutant.Length)) : random.Next(mutant.Length);
                mutant[at] = interesting[random.Next(interesting.Length)];
            }
            File.WriteAllText(path, mutant.ToString());
            try
            {
                HuggingFaceTokenizer.Load(temp.Path);
            }
            catch (ModelFormatException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }
}
