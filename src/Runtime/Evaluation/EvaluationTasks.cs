using QuantRuntime.Inference;
using QuantRuntime.Models;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Evaluation;

/// <summary>
/// A task measured on every model of an evaluation (the base and each scheme): e.g. exact-match
/// accuracy on a question/answer set, with and without chain of thought. Implementations decide
/// their variants (<see cref="EvaluationTaskResult.Variants"/>) and must be deterministic, so the
/// models are compared on the same questions and the same decoding.
/// </summary>
public interface IEvaluationTask
{
    /// <summary>The name <c>quant eval --task</c> knows it by.</summary>
    string Name { get; }

    /// <summary>Runs the task on one model.</summary>
    /// <param name="context">The model (its in-memory weights, already on the backend) and its tokenizer.</param>
    /// <param name="cancellationToken">Stops the task.</param>
    EvaluationTaskResult Run(EvaluationTaskContext context, CancellationToken cancellationToken);
}

/// <summary>What a task gets to work with.</summary>
/// <param name="ModelName">"base" or the scheme's name.</param>
/// <param name="Config">The hyperparameters.</param>
/// <param name="Weights">The model's tensors (in memory, possibly quantized).</param>
/// <param name="Model">The same weights on the evaluation's backend, ready for <see cref="TransformerModel.CreateSession"/>.</param>
/// <param name="Tokenizer">The base model's tokenizer, or null when the file has none.</param>
/// <param name="Device">The device of the evaluation.</param>
/// <param name="Threads">Its CPU threads.</param>
public sealed record EvaluationTaskContext(string ModelName, TransformerConfig Config, TransformerWeights Weights, TransformerModel Model,
    ModelTokenizer? Tokenizer, ComputeDevice Device, int Threads);

/// <summary>A task's outcome on one model.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Variants">One accuracy per way of asking (e.g. "direct", "chain-of-thought").</param>
public sealed record EvaluationTaskResult(string Task, IReadOnlyList<TaskAccuracy> Variants);

/// <summary>Exact-match accuracy of one variant of a task.</summary>
/// <param name="Variant">How the questions were asked.</param>
/// <param name="Correct">Questions answered exactly.</param>
/// <param name="Total">Questions asked.</param>
public sealed record TaskAccuracy(string Variant, int Correct, int Total)
{
    /// <summary>Correct / Total.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Binomial standard error √(a(1 − a)/(N − 1)); 0 when N &lt; 2.</summary>
    public double AccuracyError => Total < 2 ? 0 : Math.Sqrt(Accuracy * (1 - Accuracy) / (Total - 1));
}

/// <summary>
/// The tasks <c>quant eval --task NAME</c> can run. A task is added by registering a factory here.
/// The runtime itself knows no task. The arithmetic task of the project's demo model lives with its
/// data, in QuantRuntime.Training, which the CLI registers at start-up, so the runtime never depends
/// on the trainer.
/// </summary>
public static class EvaluationTasks
{
    private static readonly Dictionary<string, Func<string?, IEvaluationTask>> Factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names of the registered tasks.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Factories)
            {
                return [.. Factories.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// Makes a task available under <paramref name="name"/>. The factory receives what follows a
    /// colon in the requested name (<c>arithmetic:200</c> gives <c>"200"</c>), or null.
    /// </summary>
    public static void Register(string name, Func<string?, IEvaluationTask> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Factories)
        {
            Factories[name] = factory;
        }
    }

    /// <summary>Creates the task called <paramref name="name"/> (optionally <c>NAME:ARGUMENT</c>).</summary>
    /// <exception cref="ArgumentException">No task has that name, or the argument is invalid.</exception>
    public static IEvaluationTask Create(string name)
    {
        int colon = name.IndexOf(':', StringComparison.Ordinal);
        string key = colon < 0 ? name : name[..colon];
        string? argument = colon < 0 ? null : name[(colon + 1)..];
        Func<string?, IEvaluationTask>? factory;
        lock (Factories)
        {
            Factories.TryGetValue(key, out factory);
        }
        if (factory is not null)
        {
            return factory(argument);
        }
        string known = Names.Count == 0 ? "no task is available" : $"known: {string.Join(", ", Names)}";
        throw new ArgumentException($"unknown task '{key}' ({known})");
    }
}
