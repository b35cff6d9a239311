using QuantRuntime.Kernels.Backends;
using QuantRuntime.Models;
using QuantRuntime.Training.Data;

namespace QuantRuntime.Training;

/// <summary>Everything that determines a training run: with the same options (seed and thread count included) the weights come out bit for bit the same.</summary>
public sealed record TrainingOptions
{
    /// <summary>
    /// The shipped model's shape: Llama, width 128, 4 blocks, 8 query heads of 16 over 4 key/value
    /// heads, SwiGLU width 384, untied head, context 192; every matrix row is a multiple of 32
    /// weights, so Q8_0 and Q4_0 apply to every tensor.
    /// </summary>
    public static TransformerConfig DefaultModel { get; } = new(
        Architecture: "llama",
        EmbeddingLength: 128,
        FeedForwardLength: 384,
        BlockCount: 4,
        HeadCount: 8,
        KvHeadCount: 4,
        HeadDim: 16,
        VocabularySize: ArithmeticVocabulary.Size,
        ContextLength: 192,
        RmsNormEpsilon: 1e-5f,
        RopeTheta: 10000f,
        RopeStyle: RopeStyle.AdjacentPairs,
        TiedEmbeddings: false,
        HasQkvBias: false);

    /// <summary>The model's hyperparameters (its vocabulary must be <see cref="ArithmeticVocabulary"/>'s).</summary>
    public TransformerConfig Model { get; init; } = DefaultModel;

    /// <summary>Seed of the initial weights and of the training problems.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Worker threads. The result does not depend on it (the reduction order is fixed by <see cref="Microbatches"/>).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Problems per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Fixed groups a batch is split into, each with its own gradient buffer, summed in order.</summary>
    public int Microbatches { get; init; } = 4;

    /// <summary>Learning rate after warm-up.</summary>
    public double PeakLearningRate { get; init; } = 2e-3;

    /// <summary>Learning rate at the last step (end of the cosine).</summary>
    public double FinalLearningRate { get; init; } = 1e-4;

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW decoupled weight decay of the weight matrices (norm gains are not decayed).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW ε.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Largest global gradient norm; larger gradients are scaled down to it (0 disables clipping).</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Fraction of problems answered directly (empty thought) rather than with the working.</summary>
    public double DirectFraction { get; init; } = 0.2;

    /// <summary>Standard deviation of the initial weight matrices (the output projections get it divided by √(2·blocks)).</summary>
    public double InitStd { get; init; } = 0.02;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        Model.Validate();
        if (Model.VocabularySize != ArithmeticVocabulary.Size)
        {
            throw new ArgumentException($"the model's vocabulary must be the task's {ArithmeticVocabulary.Size} tokens, not {Model.VocabularySize}");
        }
        if (Threads < 1 || Steps < 1 || BatchSize < 1 || Microbatches < 1 || Microbatches > BatchSize)
        {
            throw new ArgumentException("threads, steps and batch size must be positive, and microbatches between 1 and the batch size");
        }
        if (!(PeakLearningRate > 0) || !(FinalLearningRate >= 0) || WarmupSteps < 0 || !(WeightDecay >= 0) || !(GradientClip >= 0))
        {
            throw new ArgumentException("learning rates, weight decay and clipping must be non-negative (the peak rate positive)");
        }
        if (!(Beta1 is >= 0 and < 1) || !(Beta2 is >= 0 and < 1) || !(Epsilon > 0) || !(DirectFraction is >= 0 and <= 1) || !(InitStd > 0))
        {
            throw new ArgumentException("betas must be in [0, 1), epsilon and init std positive, direct fraction in [0, 1]");
        }
    }
}
