namespace QuantRuntime.Training;

/// <summary>What <c>quant train</c> (or <c>quant-train train</c>) does: a training run, where the model goes, how the run reports.</summary>
public sealed record TrainCommandOptions
{
    /// <summary>The GGUF file to write (replaced atomically at each checkpoint and at the end).</summary>
    public string OutputPath { get; init; } = Path.Combine("models", "arith-reasoner.gguf");

    /// <summary><c>general.name</c> of the model.</summary>
    public string Name { get; init; } = "arith-reasoner";

    /// <summary>The run itself.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Print a progress line every this many steps.</summary>
    public int LogEvery { get; init; } = 25;

    /// <summary>Write the model every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Held-out problems asked (greedy chain of thought) at each checkpoint and at the end (0: none).</summary>
    public int EvalProblems { get; init; }

    /// <summary>Threads for that evaluation.</summary>
    public int EvalThreads { get; init; } = 2;
}
