using System.Text.Json;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Models;

namespace QuantRuntime.Formats.HuggingFace;

/// <summary>
/// A checkpoint's <c>config.json</c>, for the architectures this runtime runs: LlamaForCausalLM
/// (Llama 1-3, TinyLlama, SmolLM), MistralForCausalLM and Qwen2ForCausalLM. Anything that would
/// change the computation and is not supported (RoPE scaling, partial rotary, an attention output
/// bias, MLP biases, an activation other than SiLU, a quantization_config) is refused by name.
/// </summary>
/// <param name="ArchitectureClass">The Transformers class (<c>LlamaForCausalLM</c>), or the model_type when no class is given.</param>
/// <param name="GgufArchitecture">The GGUF architecture it runs as: <c>llama</c> (Llama and Mistral) or <c>qwen2</c>.</param>
/// <param name="HiddenSize"><c>hidden_size</c>.</param>
/// <param name="IntermediateSize"><c>intermediate_size</c>.</param>
/// <param name="LayerCount"><c>num_hidden_layers</c>.</param>
/// <param name="HeadCount"><c>num_attention_heads</c>.</param>
/// <param name="KvHeadCount"><c>num_key_value_heads</c> (default: the head count).</param>
/// <param name="HeadDim"><c>head_dim</c> (default: hidden size / heads).</param>
/// <param name="VocabularySize"><c>vocab_size</c>: rows of the embedding (may exceed the tokenizer's tokens).</param>
/// <param name="MaxPositionEmbeddings"><c>max_position_embeddings</c> (default 2048).</param>
/// <param name="SlidingWindow">Mistral's or Qwen2's attention window when it is in force, else null; the context is capped to it.</param>
/// <param name="RmsNormEpsilon"><c>rms_norm_eps</c> (default 1e-6).</param>
/// <param name="RopeTheta"><c>rope_theta</c> (default 10000).</param>
/// <param name="TieWordEmbeddings"><c>tie_word_embeddings</c> (default false).</param>
/// <param name="HasQkvBias">Qwen2's query/key/value biases (always), or Llama's <c>attention_bias</c> (refused: it adds an output bias).</param>
/// <param name="TorchDtype"><c>torch_dtype</c> / <c>dtype</c> as written, if any.</param>
/// <param name="BosTokenId"><c>bos_token_id</c>, if any.</param>
/// <param name="EosTokenIds"><c>eos_token_id</c> (an integer or a list), empty if absent.</param>
/// <param name="PadTokenId"><c>pad_token_id</c>, if any.</param>
/// <param name="NameOrPath"><c>_name_or_path</c>, if any.</param>
public sealed record HuggingFaceModelConfig(
    string ArchitectureClass,
    string GgufArchitecture,
    int HiddenSize,
    int IntermediateSize,
    int LayerCount,
    int HeadCount,
    int KvHeadCount,
    int HeadDim,
    int VocabularySize,
    int MaxPositionEmbeddings,
    int? SlidingWindow,
    float RmsNormEpsilon,
    float RopeTheta,
    bool TieWordEmbeddings,
    bool HasQkvBias,
    string? TorchDtype,
    int? BosTokenId,
    IReadOnlyList<int> EosTokenIds,
    int? PadTokenId,
    string? NameOrPath)
{
    /// <summary>The largest config.json read.</summary>
    public const long MaxFileBytes = 16 << 20;

    /// <summary>Transformers classes and model types this runtime runs, with the GGUF architecture of each.</summary>
    public static readonly IReadOnlyDictionary<string, string> SupportedArchitectures = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = "llama",
        ["MistralForCausalLM"] = "llama",
        ["Qwen2ForCausalLM"] = "qwen2",
    };

    private static readonly Dictionary<string, string> ModelTypes = new(StringComparer.Ordinal)
    {
        ["llama"] = "LlamaForCausalLM",
        ["mistral"] = "MistralForCausalLM",
        ["qwen2"] = "Qwen2ForCausalLM",
    };

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is malformed or describes a model this runtime cannot run.</exception>
    public static HuggingFaceModelConfig Read(string path)
    {
        using var json = JsonFile.Read(path, MaxFileBytes);
        return From(json);
    }

    /// <summary>Parses config.json text (for tests and fuzzing).</summary>
    /// <exception cref="ModelFormatException">The text is malformed or describes a model this runtime cannot run.</exception>
    public static HuggingFaceModelConfig Parse(string text)
    {
        using var json = JsonFile.Parse("config.json", System.Text.Encoding.UTF8.GetBytes(text));
        return From(json);
    }

    /// <summary>
    /// The hyperparameters as this runtime runs the checkpoint's tensors as stored: Hugging Face
    /// rotates half-split pairs, so <see cref="TransformerConfig.RopeStyle"/> is
    /// <see cref="RopeStyle.HalfSplit"/> for every architecture (a GGUF conversion permutes Llama's
    /// Q/K rows instead; see <see cref="HuggingFaceConverter"/>).
    /// </summary>
    public TransformerConfig ToTransformerConfig()
    {
        var config = new TransformerConfig(
            Architecture: GgufArchitecture,
            EmbeddingLength: HiddenSize,
            FeedForwardLength: IntermediateSize,
            BlockCount: LayerCount,
            HeadCount: HeadCount,
            KvHeadCount: KvHeadCount,
            HeadDim: HeadDim,
            VocabularySize: VocabularySize,
            ContextLength: SlidingWindow is int window ? Math.Min(window, MaxPositionEmbeddings) : MaxPositionEmbeddings,
            RmsNormEpsilon: RmsNormEpsilon,
            RopeTheta: RopeTheta,
            RopeStyle: RopeStyle.HalfSplit,
            TiedEmbeddings: TieWordEmbeddings,
            HasQkvBias: HasQkvBias);
        try
        {
            config.Validate();
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException($"config.json: {e.Message}", e);
        }
        return config;
    }

    private static HuggingFaceModelConfig From(JsonFile json)
    {
        var root = json.Root;
        string? modelType = json.String(root, "model_type");
        string? architecture = null;
        if (json.Member("architectures") is { } list)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw json.Error("'architectures' must be a list of class names");
            }
            var names = list.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? json.Text(e, "an architecture") : JsonFile.Shown(e)).ToList();
            architecture = names.FirstOrDefault(SupportedArchitectures.ContainsKey)
                ?? throw json.Error($"architecture {string.Join(", ", names.Select(n => $"'{n}'"))} is not supported (supported: {string.Join(", ", SupportedArchitectures.Keys)})");
        }
        else if (modelType is not null)
        {
            architecture = ModelTypes.GetValueOrDefault(modelType)
                ?? throw json.Error($"model_type '{modelType}' is not supported (supported: {string.Join(", ", ModelTypes.Keys)})");
        }
        else
        {
            throw json.Error("neither 'architectures' nor 'model_type' says what model this is");
        }
        string arch = SupportedArchitectures[architecture];
        bool qwen2 = arch == "qwen2";

        if (json.Member("quantization_config") is { } quantization)
        {
            string method = JsonFile.Member(quantization, "quant_method") is { ValueKind: JsonValueKind.String } m ? json.Text(m, "quant_method") : "unknown";
            throw json.Error($"quantized checkpoints are not supported (quantization_config: {method}); use the unquantized weights");
        }
        if (json.String(root, "hidden_act") is { } activation && activation != "silu")
        {
            throw json.Error($"hidden_act '{activation}' is not supported (only silu)");
        }
        if (json.Bool(root, "mlp_bias") == true)
        {
            throw json.Error("mlp_bias is not supported");
        }
        if (!qwen2 && json.Bool(root, "attention_bias") == true)
        {
            throw json.Error("attention_bias is not supported (it adds an output-projection bias this runtime does not have)");
        }
        if (json.Number(root, "partial_rotary_factor") is { } partial && partial != 1.0)
        {
            throw json.Error($"partial_rotary_factor {partial} is not supported (only full rotary embedding)");
        }

        int hidden = json.RequiredPositive("hidden_size");
        int heads = json.RequiredPositive("num_attention_heads");
        int kvHeads = (int?)json.Integer(root, "num_key_value_heads", 1) ?? heads;
        int headDim;
        if (json.Integer(root, "head_dim", 1) is { } explicitHeadDim)
        {
            headDim = (int)explicitHeadDim;
        }
        else if (hidden % heads == 0)
        {
            headDim = hidden / heads;
        }
        else
        {
            throw json.Error($"hidden_size {hidden} is not a multiple of num_attention_heads {heads} and no head_dim is given");
        }

        // rope_theta and rope_scaling at the top level, or (newer Transformers) inside rope_parameters.
        var ropeParameters = json.Member("rope_parameters");
        double theta = json.Number(root, "rope_theta") ?? (ropeParameters is { } rp ? json.Number(rp, "rope_theta") : null) ?? 10000.0;
        CheckRopeScaling(json, json.Member("rope_scaling"), "rope_scaling");
        if (ropeParameters is { } parameters)
        {
            CheckRopeScaling(json, parameters, "rope_parameters");
        }

        int maxPositions = (int?)json.Integer(root, "max_position_embeddings", 1) ?? 2048;
        int? window = (int?)json.Integer(root, "sliding_window", 0);
        // Mistral applies its window whenever one is set; Qwen2 only with use_sliding_window.
        bool windowInForce = window is > 0 && (qwen2 ? json.Bool(root, "use_sliding_window") == true : json.Bool(root, "use_sliding_window") != false);

        int? Id(string key) => (int?)json.Integer(root, key, 0);
        return new HuggingFaceModelConfig(
            ArchitectureClass: architecture,
            GgufArchitecture: arch,
            HiddenSize: hidden,
            IntermediateSize: json.RequiredPositive("intermediate_size"),
            LayerCount: json.RequiredPositive("num_hidden_layers"),
            HeadCount: heads,
            KvHeadCount: kvHeads,
            HeadDim: headDim,
            VocabularySize: json.RequiredPositive("vocab_size"),
            MaxPositionEmbeddings: maxPositions,
            SlidingWindow: windowInForce ? window : null,
            RmsNormEpsilon: (float)(json.Number(root, "rms_norm_eps") ?? 1e-6),
            RopeTheta: (float)theta,
            TieWordEmbeddings: json.Bool(root, "tie_word_embeddings") ?? false,
            HasQkvBias: qwen2,
            TorchDtype: json.String(root, "torch_dtype") ?? json.String(root, "dtype"),
            BosTokenId: Id("bos_token_id"),
            EosTokenIds: json.IntegerOrList(root, "eos_token_id"),
            PadTokenId: Id("pad_token_id"),
            NameOrPath: json.String(root, "_name_or_path"));
    }

    private static void CheckRopeScaling(JsonFile json, JsonElement? scaling, string key)
    {
        if (scaling is not { } value)
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw json.Error($"'{key}' must be an object or null");
        }
        string type = json.String(value, "rope_type") ?? json.String(value, "type") ?? "default";
        if (type != "default")
        {
            throw json.Error($"{key} type '{type}' is not supported (only unscaled RoPE)");
        }
    }
}
