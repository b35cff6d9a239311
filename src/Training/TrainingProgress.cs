namespace QuantRuntime.Training;

/// <summary>The state of a run after one optimizer step.</summary>
/// <param name="Step">Steps done (1-based).</param>
/// <param name="Steps">Steps in the run.</param>
/// <param name="Loss">Mean cross-entropy per scored token of this step's batch (nats).</param>
/// <param name="LearningRate">The rate used by this step.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="ScoredTokens">Tokens scored in this step.</param>
/// <param name="Tokens">Tokens run through the model in this step.</param>
/// <param name="Elapsed">Wall time since the run started.</param>
public sealed record TrainingProgress(int Step, int Steps, double Loss, double LearningRate, double GradientNorm, int ScoredTokens, int Tokens, TimeSpan Elapsed);
