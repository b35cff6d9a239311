using QuantRuntime.Training.Evaluation;

namespace QuantRuntime.Training;

/// <summary>What the arithmetic evaluation command does.</summary>
public sealed record EvalCommandOptions
{
    /// <summary>The model to evaluate.</summary>
    public string ModelPath { get; init; } = Path.Combine("models", "arith-reasoner.gguf");

    /// <summary>Held-out problems (a third each of addition, subtraction, multiplication).</summary>
    public int Problems { get; init; } = 1000;

    /// <summary>Seed of the held-out draw.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The modes to run, in order.</summary>
    public IReadOnlyList<EvaluationMode> Modes { get; init; } = [EvaluationMode.ChainOfThought, EvaluationMode.Direct, EvaluationMode.SelfConsistency];

    /// <summary>Chains per problem for self-consistency.</summary>
    public int Samples { get; init; } = 5;

    /// <summary>Sampling temperature of the self-consistency chains.</summary>
    public float Temperature { get; init; } = 0.5f;

    /// <summary>Problems evaluated at once.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Print up to this many wrong answers per mode.</summary>
    public int ShowErrors { get; init; } = 5;
}
