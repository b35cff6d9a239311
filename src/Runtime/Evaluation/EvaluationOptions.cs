using QuantRuntime.Inference;
using QuantRuntime.Quantization;

namespace QuantRuntime.Evaluation;

/// <summary>How <see cref="QuantizationEvaluator"/> windows the tokens, quantizes and computes.</summary>
/// <param name="ContextLength">Tokens per window (see <see cref="EvaluationWindows"/>); at most the model's context length.</param>
/// <param name="MaxWindows">Use only the first this many windows; null for every whole window.</param>
/// <param name="Scoring">Which predictions of each window are scored.</param>
/// <param name="Bos">The id that replaces each window's first token; null to leave windows as the stream has them.</param>
/// <param name="Method">How each scheme chooses its scales.</param>
/// <param name="OutputHead">Precision of the output head (and of a tied token embedding), as <c>quant quantize --keep-output</c>.</param>
/// <param name="CalibrationTokens">Tokens the base model runs over to weigh each column's error, for <see cref="QuantizationMethod.Search"/>; null for uniform weights.</param>
/// <param name="CalibrationWindow">Window of the calibration run.</param>
/// <param name="PerTensor">Also measure each tensor's signal-to-quantization-noise ratio.</param>
/// <param name="Device">Where the forward passes run.</param>
/// <param name="Threads">CPU threads (0: one per core).</param>
/// <param name="BatchSize">Tokens per forward pass inside a window; cancellation is checked between passes.</param>
/// <param name="InMemoryLimitBytes">The base model's scored logits are kept in memory up to this size, else in a temporary file.</param>
/// <param name="SpillDirectory">Folder of that temporary file; null for the system's temporary folder.</param>
/// <param name="Tasks">Task-accuracy evaluations run on the base model and on every scheme.</param>
public sealed record EvaluationOptions(
    int ContextLength = 256,
    int? MaxWindows = null,
    ScoredPositions Scoring = ScoredPositions.SecondHalf,
    int? Bos = null,
    QuantizationMethod Method = QuantizationMethod.RoundToNearest,
    OutputHeadPrecision OutputHead = OutputHeadPrecision.Q8_0,
    IReadOnlyList<int>? CalibrationTokens = null,
    int CalibrationWindow = 256,
    bool PerTensor = false,
    ComputeDevice Device = ComputeDevice.Cpu,
    int Threads = 0,
    int BatchSize = 128,
    long InMemoryLimitBytes = 1L << 30,
    string? SpillDirectory = null,
    IReadOnlyList<IEvaluationTask>? Tasks = null);

/// <summary>Stage of an evaluation, for progress reports.</summary>
public enum EvaluationStage
{
    /// <summary>Measuring activation importance over the calibration tokens (once, before the first searched scheme).</summary>
    Calibrating,

    /// <summary>Running the base model over a window.</summary>
    Baseline,

    /// <summary>Quantizing the base weights to a scheme (in memory).</summary>
    Quantizing,

    /// <summary>Running a quantized model over a window.</summary>
    Evaluating,

    /// <summary>Running a task on a model.</summary>
    Task,
}

/// <summary>One step done: each report is one unit of work (a window, a quantization, a calibration, a task).</summary>
/// <param name="Stage">What was done.</param>
/// <param name="Model">"base" or the scheme's name.</param>
/// <param name="Window">Windows of this model done so far (0 outside window stages).</param>
/// <param name="Windows">Windows per model.</param>
public sealed record EvaluationProgress(EvaluationStage Stage, string Model, int Window, int Windows);
