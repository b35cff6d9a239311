using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Inference;

/// <summary>
/// A transformer's weights placed on one <see cref="IComputeBackend"/>, read-only and shared by
/// any number of concurrent <see cref="InferenceSession"/>s, each with its own KV cache.
/// </summary>
public sealed class TransformerModel : IDisposable
{
    private TransformerModel(TransformerConfig config, IComputeBackend backend, IDeviceWeight embedding,
        DeviceBlock[] blocks, IDeviceWeight outputNorm, IDeviceWeight output)
    {
        Config = config;
        Backend = backend;
        Embedding = embedding;
        Blocks = blocks;
        OutputNorm = outputNorm;
        Output = output;
    }

    /// <summary>The hyperparameters.</summary>
    public TransformerConfig Config { get; }

    /// <summary>The backend every operator runs on.</summary>
    public IComputeBackend Backend { get; }

    internal IDeviceWeight Embedding { get; }

    internal DeviceBlock[] Blocks { get; }

    internal IDeviceWeight OutputNorm { get; }

    internal IDeviceWeight Output { get; }

    /// <summary>Uploads <paramref name="weights"/> to <paramref name="backend"/>.</summary>
    /// <exception cref="NotSupportedException">The backend cannot compute with one of the tensor types.</exception>
    public static TransformerModel Create(TransformerConfig config, TransformerWeights weights, IComputeBackend backend)
    {
        weights.Validate(config);
        var uploaded = new List<IDeviceWeight>();
        IDeviceWeight Up(HostTensor tensor)
        {
            var weight = backend.Upload(tensor);
            uploaded.Add(weight);
            return weight;
        }
        IDeviceWeight? Optional(HostTensor? tensor) => tensor is null ? null : Up(tensor);
        try
        {
            var embedding = Up(weights.TokenEmbedding);
            var blocks = weights.Blocks.Select(b => new DeviceBlock(
                Up(b.AttentionNorm), Up(b.Query), Up(b.Key), Up(b.Value), Up(b.AttentionOutput),
                Up(b.FeedForwardNorm), Up(b.Gate), Up(b.Up), Up(b.Down),
                Optional(b.QueryBias), Optional(b.KeyBias), Optional(b.ValueBias))).ToArray();
            var outputNorm = Up(weights.OutputNorm);
            var output = ReferenceEquals(weights.Output, weights.TokenEmbedding) ? embedding : Up(weights.Output);
            return new TransformerModel(config, backend, embedding, blocks, outputNorm, output);
        }
        catch
        {
            uploaded.ForEach(w => w.Dispose());
            throw;
        }
    }

    /// <summary>Starts a session with its own KV cache.</summary>
    public InferenceSession CreateSession(SessionOptions? options = null) => new(this, options ?? new SessionOptions());

    /// <inheritdoc />
    public void Dispose()
    {
        Embedding.Dispose();
        foreach (var block in Blocks)
        {
            block.Dispose();
        }
        OutputNorm.Dispose();
        if (!ReferenceEquals(Output, Embedding))
        {
            Output.Dispose();
        }
    }
}
