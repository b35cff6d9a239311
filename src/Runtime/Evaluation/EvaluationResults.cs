using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;
using QuantRuntime.Quantization;

namespace QuantRuntime.Evaluation;

/// <summary>Storage of a model's tensors.</summary>
/// <param name="Bytes">Encoded bytes of every tensor (vectors and output head included; a tied head counted once).</param>
/// <param name="Elements">Weights in every tensor.</param>
public sealed record ModelSize(long Bytes, long Elements)
{
    /// <summary>Bytes × 8 / weights.</summary>
    public double BitsPerWeight => Elements == 0 ? 0 : Bytes * 8.0 / Elements;

    /// <summary>The size of <paramref name="weights"/> as stored.</summary>
    public static ModelSize Of(TransformerWeights weights)
    {
        long bytes = 0, elements = 0;
        foreach (var (_, tensor) in weights.Named())
        {
            bytes += tensor.Data.Length;
            elements += (long)tensor.Rows * tensor.Columns;
        }
        return new ModelSize(bytes, elements);
    }
}

/// <summary>Per-token values of one model over the scored tokens, in scoring order (window by window).</summary>
/// <param name="Targets">The correct next token of each scored prediction.</param>
/// <param name="LogProbabilities">ln p(target) under this model (float64 log-softmax of its float32 logits).</param>
/// <param name="TopTokens">Arg-max of the logits (lowest id on ties).</param>
/// <param name="KlDivergences">KL(base ‖ this model) per token, nats; all zero for the base itself.</param>
public sealed record TokenScores(int[] Targets, double[] LogProbabilities, int[] TopTokens, double[] KlDivergences)
{
    /// <summary>Scored tokens.</summary>
    public int Count => Targets.Length;

    /// <summary>−ln p(target) per token.</summary>
    public double[] NegativeLogLikelihoods() => [.. LogProbabilities.Select(l => -l)];
}

/// <summary>The base model over the evaluation windows.</summary>
/// <param name="Size">Its storage.</param>
/// <param name="Perplexity">Its perplexity.</param>
/// <param name="Tokens">Its per-token values.</param>
/// <param name="Tasks">Task results (empty without tasks).</param>
/// <param name="Elapsed">Wall time of its forward passes.</param>
public sealed record BaselineEvaluation(ModelSize Size, PerplexityStatistics Perplexity, TokenScores Tokens, IReadOnlyList<EvaluationTaskResult> Tasks, TimeSpan Elapsed);

/// <summary>Signal-to-quantization-noise ratio of one tensor: 10·log10(Σw² / Σ(w − ŵ)²), dB.</summary>
/// <param name="Name">GGUF tensor name.</param>
/// <param name="From">Stored type in the base model.</param>
/// <param name="To">Stored type in the quantized model.</param>
/// <param name="Elements">Weights.</param>
/// <param name="SqnrDb">The ratio in decibels; +∞ when the tensor is unchanged.</param>
public sealed record TensorSqnr(string Name, TensorType From, TensorType To, long Elements, double SqnrDb);

/// <summary>One model (a quantization scheme, or weights given directly) judged against the base model on the same windows.</summary>
/// <param name="Name">The scheme's name, or the label given.</param>
/// <param name="Method">How scales were chosen; null when the weights were given rather than quantized here.</param>
/// <param name="Size">Storage.</param>
/// <param name="Perplexity">Its perplexity.</param>
/// <param name="VersusBase">Perplexity ratio and difference against the base.</param>
/// <param name="KlDivergence">KL(base ‖ model) statistics.</param>
/// <param name="SameTop">Agreement of the most likely token.</param>
/// <param name="ProbabilityDelta">Δp statistics.</param>
/// <param name="Tokens">Per-token values.</param>
/// <param name="Tensors">What the quantizer did to each tensor; null when the weights were given.</param>
/// <param name="TensorSqnr">Per-tensor SQNR; null unless <see cref="EvaluationOptions.PerTensor"/>.</param>
/// <param name="Tasks">Task results (empty without tasks).</param>
/// <param name="Elapsed">Wall time of quantizing and the forward passes.</param>
public sealed record SchemeEvaluation(
    string Name,
    QuantizationMethod? Method,
    ModelSize Size,
    PerplexityStatistics Perplexity,
    PerplexityComparison VersusBase,
    KlDivergenceStatistics KlDivergence,
    TopTokenAgreement SameTop,
    ProbabilityDeltaStatistics ProbabilityDelta,
    TokenScores Tokens,
    IReadOnlyList<TensorQuantizationRecord>? Tensors,
    IReadOnlyList<TensorSqnr>? TensorSqnr,
    IReadOnlyList<EvaluationTaskResult> Tasks,
    TimeSpan Elapsed);

/// <summary>Everything one evaluation measured.</summary>
/// <param name="Windows">The windows and scored positions.</param>
/// <param name="Base">The base model.</param>
/// <param name="Schemes">Each scheme, in the order asked; fewer than asked when <paramref name="Complete"/> is false.</param>
/// <param name="Complete">False when the evaluation was cancelled before every scheme was done.</param>
public sealed record EvaluationReport(EvaluationWindows Windows, BaselineEvaluation Base, IReadOnlyList<SchemeEvaluation> Schemes, bool Complete);
