using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using QuantRuntime.Formats;
using QuantRuntime.Formats.HuggingFace;
using QuantRuntime.Formats.SafeTensors;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.HuggingFace;

/// <summary>Broken safetensors files, config.json files and checkpoint folders: each a specific one-line error.</summary>
public sealed class MalformedCheckpointTests
{
    /// <summary>A safetensors image with the given header text and data bytes.</summary>
    private static byte[] Image(string header, int dataBytes = 16)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    public static readonly TheoryData<byte[], string> BadSafeTensors = new()
    {
        { new byte[5], "too short for a safetensors header" },
        { [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, (byte)'{', (byte)'}'], "exceeds the 100000000-byte limit" },
        { [0x40, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}'], "runs past the end of the 10-byte file" },
        { Image("[1, 2, 3]"), "does not start with '{'" },
        { Image("{\"a\": {\"dtype\": \"F32\", "), "is not valid JSON" },
        { Image("""{"a": {"dtype": "F128", "shape": [4], "data_offsets": [0, 16]}}"""), "unknown dtype 'F128'" },
        { Image("""{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}"""), "needs 16 bytes but data_offsets give 12" },
        { Image("""{"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}"""), "run past the end of the 16-byte data section" },
        { Image("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"""), "overlap" },
        { Image("""{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"""), "shape entry 0 is not a non-negative integer" },
        { Image("""{"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}"""), "shape entry 0 is not a non-negative integer" },
        { Image("""{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}"""), "too many elements" },
        { Image("""{"a": {"dtype": "F32", "shape": [2305843009213693952, 2], "data_offsets": [0, 8]}}"""), "is too large" },
        { Image("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"""), "are not 0 <= begin <= end" },
        { Image("""{"a": {"dtype": "F32", "shape": [2]}}"""), "'data_offsets' is missing" },
        { Image("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"""), "holds 'a' twice" },
        { Image("""{"__metadata__": {"format": 1}}"""), "__metadata__ 'format' is not a string" },
        { Image("""{"a": [1]}"""), "header entry is not an object" },
        { Image("{\"\\ud800\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [0, 0]}}"), "invalid string" },
    };

    [Theory]
    [MemberData(nameof(BadSafeTensors))]
    public void Malformed_safetensors_is_a_one_line_error(byte[] image, string expected)
    {
        var error = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Parse(image).Dispose());
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Valid_safetensors_round_trips_with_zero_copy_views()
    {
        var values = new float[] { 1, 2, 3, 4, 5, 6 };
        var tensor = HostTensor.FromFloats(2, 3, values);
        var writer = new SafeTensorsWriter().Add("w", tensor).Add("v", "F16", [4], new byte[8]).Add("empty", "I64", [0, 5], ReadOnlyMemory<byte>.Empty).AddMetadata("format", "pt");
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] image = stream.ToArray();
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(image) % 8); // the header is padded to 8 bytes
        using var file = SafeTensorsFile.Parse(image);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.True(file.TryGetTensor("w", out var info));
        var read = file.GetHostTensor(info);
        Assert.Equal((TensorType.F32, 2, 3), (read.Type, read.Rows, read.Columns));
        Assert.Equal(values, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(read.Data.Span).ToArray());
        Assert.True(file.TryGetTensor("empty", out var empty));
        Assert.Equal(0, empty.ByteCount);
        Assert.Throws<ModelFormatException>(() => file.GetHostTensor(empty)); // I64: not a type the runtime computes with
    }

    public static readonly TheoryData<string, string> BadConfigs = new()
    {
        { "not json", "config.json is not valid JSON" },
        { "[]", "config.json is not a JSON object" },
        { Config(c => c["architectures"] = new JsonArray("GPT2LMHeadModel")), "architecture 'GPT2LMHeadModel' is not supported" },
        { Config(c => c.Remove("hidden_size")), "'hidden_size' is missing" },
        { Config(c => c["hidden_size"] = "96"), "'hidden_size' must be an integer" },
        { Config(c => c["num_hidden_layers"] = 0), "'num_hidden_layers' must be an integer in [1, " },
        { Config(c => c["num_key_value_heads"] = 3), "key/value head count 3 does not divide head count 8" },
        { Config(c => c["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 2.0 }), "rope_scaling type 'linear' is not supported" },
        { Config(c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 8.0 }), "rope_scaling type 'llama3' is not supported" },
        { Config(c => c["hidden_act"] = "gelu"), "hidden_act 'gelu' is not supported" },
        { Config(c => c["attention_bias"] = true), "attention_bias is not supported" },
        { Config(c => c["quantization_config"] = new JsonObject { ["quant_method"] = "gptq" }), "quantized checkpoints are not supported (quantization_config: gptq)" },
        { Config(c => c["partial_rotary_factor"] = 0.5), "partial_rotary_factor 0.5 is not supported" },
        { Config(c => c["rms_norm_eps"] = "small"), "'rms_norm_eps' must be a number" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Malformed_config_json_is_a_one_line_error(string json, string expected)
    {
        var error = Assert.Throws<ModelFormatException>(() => HuggingFaceModelConfig.Parse(json).ToTransformerConfig());
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("config.json", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Config_maps_mistral_window_and_qwen2_biases()
    {
        var mistral = HuggingFaceModelConfig.Parse(Config(c =>
        {
            c["architectures"] = new JsonArray("MistralForCausalLM");
            c["sliding_window"] = 128;
            c["max_position_embeddings"] = 4096;
        }));
        Assert.Equal(("llama", 128), (mistral.GgufArchitecture, mistral.ToTransformerConfig().ContextLength));
        var qwen = HuggingFaceModelConfig.Parse(Config(c =>
        {
            c["architectures"] = new JsonArray("Qwen2ForCausalLM");
            c["hidden_size"] = 128;
            c["head_dim"] = null;
            c["sliding_window"] = 128;
            c["use_sliding_window"] = false;
            c["rope_theta"] = 1000000.0;
        }));
        var q = qwen.ToTransformerConfig();
        Assert.Equal(("qwen2", true, 16, 256, 1e6f), (q.Architecture, q.HasQkvBias, q.HeadDim, q.ContextLength, q.RopeTheta));
    }

    public static readonly TheoryData<string, string> BadFolders = new()
    {
        { "missing-tensor", "tensor 'model.layers.1.mlp.up_proj.weight' is missing" },
        { "wrong-shape", "tensor 'model.layers.0.self_attn.k_proj.weight' has shape [16, 96], expected [32, 96] from config.json" },
        { "int8-tensor", "tensor 'model.norm.weight' is I8; only F32, F16 and BF16 are supported" },
        { "extra-tensor", "tensor 'model.layers.0.self_attn.o_proj.bias' is not part of a LlamaForCausalLM" },
        { "no-weights", "neither model.safetensors nor model.safetensors.index.json is in the folder" },
        { "pytorch-only", "only PyTorch .bin weights found" },
        { "missing-shard", "shard 'model-00002-of-00002.safetensors' does not exist" },
        { "escaping-shard", "shard '../model.safetensors' is not a plain file name" },
        { "wrong-shard", "does not hold tensor 'model.norm.weight'" },
        { "truncated-weights", "model.safetensors: " },
        { "bad-tokenizer", "tokenizer.json is not valid JSON" },
        { "unknown-eos", "tokenizer_config.json: eos_token '<|nope|>' is not in the vocabulary" },
        { "vocab-too-large", "config.json's vocab_size is 64" },
    };

    [Theory]
    [MemberData(nameof(BadFolders))]
    public void Malformed_folder_is_a_one_line_error_from_quant_info(string breakage, string expected)
    {
        using var temp = new TempDirectory();
        string folder = temp.File("checkpoint");
        Break(folder, breakage);
        var error = Assert.ThrowsAny<Exception>(() => ModelFile.Open(folder).Dispose());
        Assert.IsType<ModelFormatException>(error);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        if (breakage == "missing-tensor")
        {
            // The command line says the same in one line with exit code 2.
            var result = QuantCli.Run("info", "-m", folder);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains(expected, Assert.Single(result.ErrorLines));
        }
    }

    private static void Break(string folder, string breakage)
    {
        var written = HuggingFaceFolder.Write(folder, "llama", TensorType.F16, TokenizerStyle.SentencePieceLegacy);
        string single = Path.Combine(folder, "model.safetensors");
        void Rewrite(Func<IEnumerable<(string Name, HostTensor Tensor)>, IEnumerable<(string Name, HostTensor Tensor)>> edit)
        {
            var writer = new SafeTensorsWriter();
            foreach (var (name, tensor) in edit(HuggingFaceFolder.Named(written.Config, written.Weights)))
            {
                writer.Add(name, tensor, asVector: tensor.Rows == 1);
            }
            writer.Save(single);
        }
        switch (breakage)
        {
            case "missing-tensor":
                Rewrite(all => all.Where(t => t.Name != "model.layers.1.mlp.up_proj.weight"));
                break;
            case "wrong-shape":
                Rewrite(all => all.Select(t => t.Name == "model.layers.0.self_attn.k_proj.weight"
                    ? (t.Name, new HostTensor(TensorType.F16, 16, 96, t.Tensor.Data[..(16 * 96 * 2)])) : t));
                break;
            case "int8-tensor":
            {
                var writer = new SafeTensorsWriter();
                foreach (var (name, tensor) in HuggingFaceFolder.Named(written.Config, written.Weights))
                {
                    if (name == "model.norm.weight")
                    {
                        writer.Add(name, "I8", [96], new byte[96]);
                    }
                    else
                    {
                        writer.Add(name, tensor, asVector: tensor.Rows == 1);
                    }
                }
                writer.Save(single);
                break;
            }
            case "extra-tensor":
                Rewrite(all => all.Append(("model.layers.0.self_attn.o_proj.bias", HostTensor.FromFloats(1, 96, new float[96]))));
                break;
            case "no-weights":
                File.Delete(single);
                break;
            case "pytorch-only":
                File.Delete(single);
                File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), [0x50, 0x4B]);
                break;
            case "missing-shard":
            case "escaping-shard":
            case "wrong-shard":
            {
                File.Delete(single);
                HuggingFaceFolder.WriteWeights(folder, written.Config, written.Weights, shards: 2);
                string index = Path.Combine(folder, "model.safetensors.index.json");
                var json = JsonNode.Parse(File.ReadAllText(index))!;
                if (breakage == "missing-shard")
                {
                    File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
                }
                else
                {
                    json["weight_map"]!["model.norm.weight"] = breakage == "escaping-shard" ? "../model.safetensors" : "model-00001-of-00002.safetensors";
                    HuggingFaceFolder.WriteJson(index, json);
                }
                break;
            }
            case "truncated-weights":
            {
                byte[] bytes = File.ReadAllBytes(single);
                File.WriteAllBytes(single, bytes[..(bytes.Length / 2)]);
                break;
            }
            case "bad-tokenizer":
                File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{\"model\": ");
                break;
            case "unknown-eos":
            {
                string path = Path.Combine(folder, "tokenizer_config.json");
                var json = JsonNode.Parse(File.ReadAllText(path))!;
                json["eos_token"] = "<|nope|>";
                HuggingFaceFolder.WriteJson(path, json);
                break;
            }
            case "vocab-too-large":
            {
                string path = Path.Combine(folder, "config.json");
                var json = JsonNode.Parse(File.ReadAllText(path))!;
                json["vocab_size"] = 64;
                HuggingFaceFolder.WriteJson(path, json);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }
    }

    private static string Config(Action<JsonObject> edit)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["hidden_size"] = 96,
            ["intermediate_size"] = 352,
            ["num_hidden_layers"] = 3,
            ["num_attention_heads"] = 8,
            ["num_key_value_heads"] = 2,
            ["head_dim"] = 16,
            ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0,
            ["vocab_size"] = 768,
            ["max_position_embeddings"] = 256,
            ["hidden_act"] = "silu",
            ["rope_scaling"] = null,
        };
        edit(json);
        return json.ToJsonString();
    }
}
