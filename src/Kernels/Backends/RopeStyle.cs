namespace QuantRuntime.Kernels.Backends;

/// <summary>Which pairs of a head's dimensions rotary position embedding rotates together.</summary>
public enum RopeStyle
{
    /// <summary>Adjacent pairs (x[2i], x[2i+1]): llama2.c and GGUF's <c>llama</c> architecture.</summary>
    AdjacentPairs,

    /// <summary>Half-split pairs (x[i], x[i + d/2]): GPT-NeoX, Hugging Face checkpoints and GGUF's <c>qwen2</c>.</summary>
    HalfSplit,
}
