using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Model;

namespace QuantRuntime.Training;

/// <summary>Trained (or initial) float32 weights with their layout; exports a GGUF file the engine and llama.cpp load.</summary>
public sealed class TrainedModel
{
    /// <summary>Wraps <paramref name="parameters"/> (not copied) laid out as <paramref name="layout"/>.</summary>
    public TrainedModel(ParameterLayout layout, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length != layout.Count)
        {
            throw new ArgumentException($"{parameters.Length} parameters given, the layout has {layout.Count}");
        }
        Layout = layout;
        Parameters = parameters;
    }

    /// <summary>Where each tensor lives in <see cref="Parameters"/>.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The hyperparameters.</summary>
    public TransformerConfig Config => Layout.Config;

    /// <summary>All weights, flat, in GGUF tensor order.</summary>
    public float[] Parameters { get; }

    /// <summary>The weights as float32 host tensors (copies), the output head shared with the embedding when tied.</summary>
    public TransformerWeights ToWeights()
    {
        HostTensor Tensor(TensorSlot slot) => HostTensor.FromFloats(slot.Rows, slot.Columns, Parameters.AsSpan(slot.Offset, slot.Length));
        var embedding = Tensor(Layout.Embedding);
        var blocks = Layout.Layers.Select(l => new BlockWeights(
            Tensor(l.AttentionNorm), Tensor(l.Query), Tensor(l.Key), Tensor(l.Value), Tensor(l.AttentionOutput),
            Tensor(l.FeedForwardNorm), Tensor(l.Gate), Tensor(l.Up), Tensor(l.Down))).ToArray();
        var output = Config.TiedEmbeddings ? embedding : Tensor(Layout.Output);
        return new TransformerWeights(embedding, blocks, Tensor(Layout.OutputNorm), output);
    }

    /// <summary>
    /// The GGUF image: architecture <c>llama</c>, float32 weights, the task vocabulary as tokenizer
    /// metadata, <c>general.name</c>, and any extra string entries (e.g. how it was trained).
    /// </summary>
    public GgufWriter ToGguf(string name, string? description = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var writer = GgufModelWriter.Build(Config, ToWeights(), ArithmeticVocabulary.CreateMetadata(name, description), name);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            writer.Add(key, value);
        }
        return writer;
    }

    /// <summary>Writes the GGUF file atomically (see <see cref="ToGguf"/>).</summary>
    public void Save(string path, string name, string? description = null, IReadOnlyDictionary<string, string>? extra = null) =>
        ToGguf(name, description, extra).Save(path);

    /// <summary>The trainer's own forward pass: logits after every token of <paramref name="tokens"/> ([length × vocabulary]).</summary>
    public float[] Logits(ReadOnlySpan<int> tokens)
    {
        var transposed = new float[Layout.Count];
        TransformerGraph.TransposeMatrices(Layout, Parameters, transposed);
        var graph = new TransformerGraph(Layout, tokens.Length);
        return graph.ForwardLogits(Parameters, transposed, PackedBatch.FromSequences([tokens.ToArray()]));
    }
}
