using QuantRuntime.Kernels.Backends;

namespace QuantRuntime.Models;

/// <summary>
/// Hyperparameters of a Llama-family decoder-only transformer: pre-norm blocks of grouped-query
/// attention with rotary positions and a SwiGLU feed-forward network.
/// </summary>
/// <param name="Architecture">GGUF architecture name (<c>llama</c>, <c>qwen2</c>).</param>
/// <param name="EmbeddingLength">Width of the residual stream.</param>
/// <param name="FeedForwardLength">Width of the SwiGLU hidden layer.</param>
/// <param name="BlockCount">Transformer blocks.</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="KvHeadCount">Key/value heads (grouped-query attention when fewer than query heads).</param>
/// <param name="HeadDim">Dimensions per head.</param>
/// <param name="VocabularySize">Rows of the embedding table and of the output head.</param>
/// <param name="ContextLength">Positions the model was trained for.</param>
/// <param name="RmsNormEpsilon">Epsilon inside every RMSNorm.</param>
/// <param name="RopeTheta">RoPE frequency base.</param>
/// <param name="RopeStyle">Which dimension pairs RoPE rotates.</param>
/// <param name="TiedEmbeddings">Whether the output head reuses the token embedding.</param>
/// <param name="HasQkvBias">Whether the query, key and value projections have biases.</param>
public sealed record TransformerConfig(
    string Architecture,
    int EmbeddingLength,
    int FeedForwardLength,
    int BlockCount,
    int HeadCount,
    int KvHeadCount,
    int HeadDim,
    int VocabularySize,
    int ContextLength,
    float RmsNormEpsilon,
    float RopeTheta,
    RopeStyle RopeStyle,
    bool TiedEmbeddings,
    bool HasQkvBias)
{
    /// <summary>Width of all query heads together.</summary>
    public int QueryWidth => HeadCount * HeadDim;

    /// <summary>Width of all key (or value) heads together.</summary>
    public int KvWidth => KvHeadCount * HeadDim;

    /// <summary>Throws <see cref="Formats.ModelFormatException"/> unless the hyperparameters describe a model this runtime can run.</summary>
    public void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new Formats.ModelFormatException(message);
            }
        }
        Require(EmbeddingLength is > 0 and <= 1 << 16, $"embedding length {EmbeddingLength} is out of range");
        Require(FeedForwardLength is > 0 and <= 1 << 18, $"feed-forward length {FeedForwardLength} is out of range");
        Require(BlockCount is > 0 and <= 1024, $"block count {BlockCount} is out of range");
        Require(HeadCount is > 0 and <= 1024, $"head count {HeadCount} is out of range");
        Require(KvHeadCount > 0 && KvHeadCount <= HeadCount && HeadCount % KvHeadCount == 0,
            $"key/value head count {KvHeadCount} does not divide head count {HeadCount}");
        Require(HeadDim is > 0 and <= 1024 && HeadDim % 2 == 0, $"head dimension {HeadDim} must be even and at most 1024");
        Require(VocabularySize is > 0 and <= 1 << 22, $"vocabulary size {VocabularySize} is out of range");
        Require(ContextLength is > 0 and <= 1 << 24, $"context length {ContextLength} is out of range");
        Require(RmsNormEpsilon > 0 && float.IsFinite(RmsNormEpsilon), $"RMSNorm epsilon {RmsNormEpsilon} must be positive");
        Require(RopeTheta > 0 && float.IsFinite(RopeTheta), $"RoPE frequency base {RopeTheta} must be positive");
    }
}
