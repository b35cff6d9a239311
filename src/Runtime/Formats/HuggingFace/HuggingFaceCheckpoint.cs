using System.Globalization;
using System.Text.Json;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Formats.SafeTensors;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Formats.HuggingFace;

/// <summary>
/// A Hugging Face checkpoint folder opened for use: <c>config.json</c>, the weights of
/// <c>model.safetensors</c> or of the shards listed by <c>model.safetensors.index.json</c>
/// (memory-mapped; every tensor a zero-copy view, F32, F16 or BF16 as stored), and the tokenizer
/// (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>) as GGUF tokenizer metadata.
/// </summary>
/// <remarks>
/// Hugging Face's Llama and Mistral rotate half-split pairs of each head (x[i], x[i + d/2]); the
/// tensors are used as stored and <see cref="Config"/> says <see cref="Kernels.Backends.RopeStyle.HalfSplit"/>.
/// A GGUF <c>llama</c> file rotates adjacent pairs: <see cref="HuggingFaceConverter"/> permutes the
/// Q/K rows on the way, as llama.cpp's convert_hf_to_gguf.py does. Qwen2 is half-split in GGUF too.
/// </remarks>
public sealed class HuggingFaceCheckpoint : IDisposable
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>Most shard files an index may name (each is mapped, so each holds a file handle).</summary>
    public const int MaxShards = 1024;

    private readonly List<SafeTensorsFile> _files;

    private HuggingFaceCheckpoint(string folder, HuggingFaceModelConfig modelConfig, TransformerConfig config, TransformerWeights weights,
        GgufMetadata metadata, HuggingFaceGenerationConfig? generation, List<SafeTensorsFile> files, IReadOnlyList<string> paths, long totalBytes)
    {
        Folder = folder;
        ModelConfig = modelConfig;
        Config = config;
        Weights = weights;
        Metadata = metadata;
        GenerationConfig = generation;
        _files = files;
        WeightFiles = paths;
        TotalBytes = totalBytes;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Folder { get; }

    /// <summary>config.json as read.</summary>
    public HuggingFaceModelConfig ModelConfig { get; }

    /// <summary>The hyperparameters the tensors run with as stored (half-split RoPE).</summary>
    public TransformerConfig Config { get; }

    /// <summary>The tensors, zero-copy views into the mapped safetensors files, valid until this is disposed.</summary>
    public TransformerWeights Weights { get; }

    /// <summary>
    /// What a GGUF conversion carries besides hyperparameters and tensors: <c>general.name</c> and the
    /// <c>tokenizer.*</c> keys (vocabulary, merges or scores, special ids, chat template). No
    /// <c>tokenizer.*</c> keys when the folder has no tokenizer.json.
    /// </summary>
    public GgufMetadata Metadata { get; }

    /// <summary>generation_config.json, when present.</summary>
    public HuggingFaceGenerationConfig? GenerationConfig { get; }

    /// <summary>The chat template (tokenizer_config.json's or chat_template.jinja), or null.</summary>
    public string? ChatTemplate => Metadata.GetStringOrNull("tokenizer.chat_template");

    /// <summary>Whether the folder has a tokenizer.</summary>
    public bool HasTokenizer => Metadata.Contains("tokenizer.ggml.model");

    /// <summary>The safetensors files the weights come from.</summary>
    public IReadOnlyList<string> WeightFiles { get; }

    /// <summary>Bytes of all weight files together.</summary>
    public long TotalBytes { get; }

    /// <summary>Whether <paramref name="folder"/> looks like a checkpoint (a folder with a config.json).</summary>
    public static bool IsCheckpoint(string folder) => Directory.Exists(folder) && File.Exists(Path.Combine(folder, "config.json"));

    /// <summary>Builds the runtime tokenizer from <see cref="Metadata"/> (null without a tokenizer). Each call builds a new one.</summary>
    /// <exception cref="ModelFormatException">The tokenizer is inconsistent.</exception>
    public ModelTokenizer? CreateTokenizer() => HasTokenizer ? HuggingFaceTokenizer.FromMetadata(Metadata) : null;

    /// <summary>Opens the checkpoint in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ModelFormatException">A file is missing, malformed, or describes a model this runtime cannot run.</exception>
    public static HuggingFaceCheckpoint Open(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"checkpoint folder '{folder}' does not exist");
        }
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
        {
            throw new ModelFormatException("not a Hugging Face checkpoint: config.json is missing");
        }
        var modelConfig = HuggingFaceModelConfig.Read(configPath);
        var config = modelConfig.ToTransformerConfig();
        string generationPath = Path.Combine(folder, "generation_config.json");
        var generation = File.Exists(generationPath) ? HuggingFaceGenerationConfig.Read(generationPath) : null;

        var metadata = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.name", GgufValue.FromString(ModelName(folder, modelConfig))),
        };
        var tokenizer = HuggingFaceTokenizer.ReadGgufMetadata(folder, modelConfig, generation);
        metadata.AddRange(tokenizer ?? []);

        var (files, paths, weightMap) = OpenWeightFiles(folder);
        try
        {
            var tensors = new Dictionary<string, (SafeTensorsFile File, SafeTensorInfo Info)>(StringComparer.Ordinal);
            for (int i = 0; i < files.Count; i++)
            {
                foreach (var info in files[i].Tensors)
                {
                    if (!tensors.TryAdd(info.Name, (files[i], info)))
                    {
                        throw new ModelFormatException($"tensor '{SafeTensorsFile.Show(info.Name)}' is in both {Path.GetFileName(paths[i])} and another shard");
                    }
                }
            }
            foreach (var (name, shard) in weightMap)
            {
                if (!tensors.TryGetValue(name, out var found) || Path.GetFileName(paths[files.IndexOf(found.File)]) != shard)
                {
                    throw new ModelFormatException($"{IndexFileName}: shard '{SafeTensorsFile.Show(shard)}' does not hold tensor '{SafeTensorsFile.Show(name)}'");
                }
            }
            var weights = new WeightGatherer(modelConfig, config, tensors).Gather();
            long total = files.Sum(f => f.FileLength);
            return new HuggingFaceCheckpoint(folder, modelConfig, config, weights, new GgufMetadata(metadata), generation, files, paths, total);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _files.ForEach(f => f.Dispose());

    private static string ModelName(string folder, HuggingFaceModelConfig config)
    {
        string? name = config.NameOrPath?.TrimEnd('/', '\\');
        if (!string.IsNullOrWhiteSpace(name))
        {
            return name[(name.LastIndexOfAny(['/', '\\']) + 1)..];
        }
        return Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
    }

    private static (List<SafeTensorsFile> Files, List<string> Paths, Dictionary<string, string> WeightMap) OpenWeightFiles(string folder)
    {
        var paths = new List<string>();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        string single = Path.Combine(folder, SingleFileName);
        string index = Path.Combine(folder, IndexFileName);
        if (File.Exists(single))
        {
            paths.Add(single);
        }
        else if (File.Exists(index))
        {
            paths.AddRange(ShardPaths(folder, index, weightMap));
        }
        else
        {
            bool pytorch = File.Exists(Path.Combine(folder, "pytorch_model.bin")) || File.Exists(Path.Combine(folder, "pytorch_model.bin.index.json"));
            throw new ModelFormatException(pytorch
                ? "only PyTorch .bin weights found; this runtime reads safetensors (model.safetensors)"
                : $"neither {SingleFileName} nor {IndexFileName} is in the folder");
        }
        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (string path in paths)
            {
                try
                {
                    files.Add(SafeTensorsFile.Open(path));
                }
                catch (ModelFormatException e)
                {
                    throw new ModelFormatException($"{Path.GetFileName(path)}: {e.Message}", e);
                }
            }
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
        return (files, paths, weightMap);
    }

    /// <summary>The distinct shard files an index names, each a plain file name inside the folder that exists.</summary>
    private static List<string> ShardPaths(string folder, string indexPath, Dictionary<string, string> weightMap)
    {
        using var index = JsonFile.Read(indexPath, 64 << 20);
        var map = index.Member("weight_map") ?? throw index.Error("'weight_map' is missing");
        if (map.ValueKind != JsonValueKind.Object)
        {
            throw index.Error("'weight_map' is not an object of tensor names to file names");
        }
        var shards = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            string tensor = index.KeyOf(entry);
            string file = entry.Value.ValueKind == JsonValueKind.String
                ? index.Text(entry.Value, "a shard name")
                : throw index.Error($"weight_map '{SafeTensorsFile.Show(tensor)}' is not a file name");
            if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or ".." || file.IndexOfAny(['/', '\\', '\0']) >= 0)
            {
                throw index.Error($"shard '{SafeTensorsFile.Show(file)}' is not a plain file name in the checkpoint folder");
            }
            if (!weightMap.TryAdd(tensor, file))
            {
                throw index.Error($"weight_map holds '{SafeTensorsFile.Show(tensor)}' twice");
            }
            if (seen.Add(file))
            {
                if (seen.Count > MaxShards)
                {
                    throw index.Error($"weight_map names more than {MaxShards} shards");
                }
                string path = Path.Combine(folder, file);
                if (!File.Exists(path))
                {
                    throw index.Error($"shard '{SafeTensorsFile.Show(file)}' does not exist");
                }
                shards.Add(path);
            }
        }
        if (shards.Count == 0)
        {
            throw index.Error("'weight_map' is empty");
        }
        return shards;
    }

    /// <summary>Finds each tensor of the model by its Hugging Face name and checks its dtype and shape.</summary>
    private sealed class WeightGatherer(HuggingFaceModelConfig hf, TransformerConfig config,
        Dictionary<string, (SafeTensorsFile File, SafeTensorInfo Info)> tensors)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public TransformerWeights Gather()
        {
            int dim = config.EmbeddingLength, ffn = config.FeedForwardLength;
            var embedding = Matrix("model.embed_tokens.weight", config.VocabularySize, dim);
            var blocks = new BlockWeights[config.BlockCount];
            for (int i = 0; i < blocks.Length; i++)
            {
                string p = string.Create(CultureInfo.InvariantCulture, $"model.layers.{i}.");
                blocks[i] = new BlockWeights(
                    AttentionNorm: Vector(p + "input_layernorm.weight", dim),
                    Query: Matrix(p + "self_attn.q_proj.weight", config.QueryWidth, dim),
                    Key: Matrix(p + "self_attn.k_proj.weight", config.KvWidth, dim),
                    Value: Matrix(p + "self_attn.v_proj.weight", config.KvWidth, dim),
                    AttentionOutput: Matrix(p + "self_attn.o_proj.weight", dim, config.QueryWidth),
                    FeedForwardNorm: Vector(p + "post_attention_layernorm.weight", dim),
                    Gate: Matrix(p + "mlp.gate_proj.weight", ffn, dim),
                    Up: Matrix(p + "mlp.up_proj.weight", ffn, dim),
                    Down: Matrix(p + "mlp.down_proj.weight", dim, ffn),
                    QueryBias: config.HasQkvBias ? Vector(p + "self_attn.q_proj.bias", config.QueryWidth) : null,
                    KeyBias: config.HasQkvBias ? Vector(p + "self_attn.k_proj.bias", config.KvWidth) : null,
                    ValueBias: config.HasQkvBias ? Vector(p + "self_attn.v_proj.bias", config.KvWidth) : null);
            }
            var outputNorm = Vector("model.norm.weight", dim);
            HostTensor output;
            if (hf.TieWordEmbeddings)
            {
                output = embedding;
                _used.Add("lm_head.weight"); // some tied checkpoints store a copy; the embedding is what ties
            }
            else
            {
                output = tensors.ContainsKey("lm_head.weight")
                    ? Matrix("lm_head.weight", config.VocabularySize, dim)
                    : throw new ModelFormatException("tensor 'lm_head.weight' is missing (and tie_word_embeddings is false)");
            }
            foreach (string name in tensors.Keys)
            {
                // Older checkpoints store RoPE's inverse frequencies; they are recomputed from rope_theta.
                if (!_used.Contains(name) && !name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
                {
                    throw new ModelFormatException($"tensor '{SafeTensorsFile.Show(name)}' is not part of a {hf.ArchitectureClass} this runtime can run");
                }
            }
            var weights = new TransformerWeights(embedding, blocks, outputNorm, output);
            weights.Validate(config);
            return weights;
        }

        private HostTensor Matrix(string name, int rows, int columns) => Get(name, [rows, columns]);

        private HostTensor Vector(string name, int width) => Get(name, [width]);

        private HostTensor Get(string name, long[] shape)
        {
            if (!tensors.TryGetValue(name, out var entry))
            {
                throw new ModelFormatException($"tensor '{name}' is missing");
            }
            _used.Add(name);
            var info = entry.Info;
            if (info.TensorType is null)
            {
                throw new ModelFormatException($"tensor '{name}' is {info.DType}; only F32, F16 and BF16 are supported");
            }
            if (!info.Shape.SequenceEqual(shape))
            {
                throw new ModelFormatException($"tensor '{name}' has shape {info.ShapeText}, expected [{string.Join(", ", shape)}] from config.json");
            }
            return entry.File.GetHostTensor(info);
        }
    }
}
