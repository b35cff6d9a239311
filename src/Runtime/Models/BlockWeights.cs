using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Models;

/// <summary>The tensors of one transformer block, as stored (matrices are [out, in]).</summary>
public sealed record BlockWeights(
    HostTensor AttentionNorm,
    HostTensor Query,
    HostTensor Key,
    HostTensor Value,
    HostTensor AttentionOutput,
    HostTensor FeedForwardNorm,
    HostTensor Gate,
    HostTensor Up,
    HostTensor Down,
    HostTensor? QueryBias = null,
    HostTensor? KeyBias = null,
    HostTensor? ValueBias = null)
{
    /// <summary>Every tensor of the block with its GGUF name suffix (<c>attn_q.weight</c>), in llama.cpp's order.</summary>
    public IEnumerable<(string Name, HostTensor Tensor)> Named()
    {
        yield return ("attn_norm.weight", AttentionNorm);
        yield return ("attn_q.weight", Query);
        if (QueryBias is not null) yield return ("attn_q.bias", QueryBias);
        yield return ("attn_k.weight", Key);
        if (KeyBias is not null) yield return ("attn_k.bias", KeyBias);
        yield return ("attn_v.weight", Value);
        if (ValueBias is not null) yield return ("attn_v.bias", ValueBias);
        yield return ("attn_output.weight", AttentionOutput);
        yield return ("ffn_norm.weight", FeedForwardNorm);
        yield return ("ffn_gate.weight", Gate);
        yield return ("ffn_up.weight", Up);
        yield return ("ffn_down.weight", Down);
    }
}
