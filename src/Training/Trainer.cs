using System.Collections.Concurrent;
using System.Diagnostics;
using QuantRuntime.Numerics;
using QuantRuntime.Training.Compute;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Model;
using QuantRuntime.Training.Optimization;

namespace QuantRuntime.Training;

/// <summary>
/// Trains a Llama model on the arithmetic task from seeded random weights: each step draws a
/// batch of problems, splits it into a fixed number of microbatches whose forward and backward
/// passes run in parallel into their own gradient buffers, sums those buffers in microbatch order,
/// clips the global norm and takes an AdamW step on the warm-up + cosine schedule. Every sum has an
/// order fixed by the options, never by thread timing, so a run is reproducible bit for bit.
/// </summary>
public sealed class Trainer
{
    private const int ChunkSize = 1 << 14; // parameters per parallel piece of the element-wise passes
    private readonly TrainingOptions _options;
    private readonly ParameterLayout _layout;
    private readonly float[] _parameters;

    /// <summary>Initialises the weights from the seed.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public Trainer(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _layout = new ParameterLayout(options.Model);
        _parameters = Initialize(_layout, options.Seed, options.InitStd);
    }

    /// <summary>The layout of the weights.</summary>
    public ParameterLayout Layout => _layout;

    /// <summary>The current weights (live: they change as training runs).</summary>
    public TrainedModel Model => new(_layout, _parameters);

    /// <summary>The seeded initial weights: norm gains 1, matrices N(0, σ²) row by row in tensor order, σ divided by √(2·blocks) for the projections back into the residual stream.</summary>
    public static float[] Initialize(ParameterLayout layout, ulong seed, double std)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var random = new SeededRandom(seed);
        var parameters = new float[layout.Count];
        double residualStd = std / Math.Sqrt(2.0 * layout.Config.BlockCount);
        foreach (var slot in layout.Tensors)
        {
            var values = parameters.AsSpan(slot.Offset, slot.Length);
            if (!slot.IsMatrix)
            {
                values.Fill(1f);
                continue;
            }
            bool residual = slot.Name.EndsWith("attn_output.weight", StringComparison.Ordinal) || slot.Name.EndsWith("ffn_down.weight", StringComparison.Ordinal);
            double sigma = residual ? residualStd : std;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextNormal() * sigma);
            }
        }
        return parameters;
    }

    /// <summary>Runs every step; <paramref name="progress"/> is called after each one on the calling thread.</summary>
    /// <returns>The trained weights (a copy).</returns>
    public TrainedModel Run(Action<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = _options;
        var schedule = new LearningRateSchedule(o.PeakLearningRate, o.FinalLearningRate, o.WarmupSteps, o.Steps);
        var optimizer = new AdamW(_layout.Count, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
        var problems = new ArithmeticProblemSampler(o.Seed);
        var modes = new SeededRandom(o.Seed ^ 0x5DEECE66DUL);
        var tokenizer = ArithmeticVocabulary.Tokenizer;
        int microbatches = o.Microbatches;
        var gradients = new float[microbatches][];
        for (int i = 0; i < microbatches; i++)
        {
            gradients[i] = new float[_layout.Count];
        }
        var transposed = new float[_layout.Count];
        var graphs = new ConcurrentBag<TransformerGraph>();
        int maxRows = (o.BatchSize + microbatches - 1) / microbatches * o.Model.ContextLength;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = cancellationToken };
        var chunks = Chunks(_layout);
        var clock = Stopwatch.StartNew();
        var groups = new List<TrainingExample>[microbatches];
        var losses = new double[microbatches];
        for (int step = 0; step < o.Steps; step++)
        {
            // The batch: problems and modes from their seeded streams, example i to microbatch i mod M.
            for (int m = 0; m < microbatches; m++)
            {
                groups[m] = [];
            }
            for (int i = 0; i < o.BatchSize; i++)
            {
                var mode = modes.NextDouble() < o.DirectFraction ? ThoughtMode.Direct : ThoughtMode.ChainOfThought;
                groups[i % microbatches].Add(ExampleEncoder.Encode(problems.Next(), mode, tokenizer));
            }
            var batches = groups.Select(PackedBatch.Pack).ToArray();
            int scored = batches.Sum(b => b.ScoredRows.Length);
            int rows = batches.Sum(b => b.Rows);
            float lossScale = 1f / scored;

            Parallel.For(0, _layout.Tensors.Count, parallel, t => TransformerGraph.TransposeMatrices(_layout, _parameters, transposed, t));
            Parallel.For(0, microbatches, parallel, m =>
            {
                if (!graphs.TryTake(out var graph))
                {
                    graph = new TransformerGraph(_layout, maxRows);
                }
                Array.Clear(gradients[m]);
                losses[m] = graph.ForwardBackward(_parameters, transposed, batches[m], gradients[m], lossScale);
                graphs.Add(graph);
            });

            // Sum the microbatch gradients in order into the first buffer, and the squared norm per chunk.
            var total = gradients[0];
            var squares = new double[chunks.Length];
            Parallel.For(0, chunks.Length, parallel, c =>
            {
                var (start, length, _) = chunks[c];
                var sum = total.AsSpan(start, length);
                for (int m = 1; m < microbatches; m++)
                {
                    VectorMath.Add(gradients[m].AsSpan(start, length), sum);
                }
                squares[c] = VectorMath.SumOfSquares(sum);
            });
            double norm = Math.Sqrt(squares.Sum());
            double clipScale = o.GradientClip > 0 && norm > o.GradientClip ? o.GradientClip / norm : 1.0;
            double rate = schedule.RateAt(step);
            optimizer.BeginStep();
            Parallel.For(0, chunks.Length, parallel, c =>
            {
                var (start, length, decay) = chunks[c];
                optimizer.Update(_parameters, total, start, length, rate, clipScale, decay);
            });
            double loss = 0;
            foreach (double l in losses)
            {
                loss += l;
            }
            progress?.Invoke(new TrainingProgress(step + 1, o.Steps, loss / scored, rate, norm, scored, rows, clock.Elapsed));
            cancellationToken.ThrowIfCancellationRequested();
        }
        return new TrainedModel(_layout, (float[])_parameters.Clone());
    }

    // Fixed pieces of the parameter array, never crossing a tensor, each with its decay flag.
    private static (int Start, int Length, bool Decay)[] Chunks(ParameterLayout layout)
    {
        var chunks = new List<(int, int, bool)>();
        foreach (var slot in layout.Tensors)
        {
            for (int start = 0; start < slot.Length; start += ChunkSize)
            {
                chunks.Add((slot.Offset + start, Math.Min(ChunkSize, slot.Length - start), slot.IsMatrix));
            }
        }
        return [.. chunks];
    }
}
