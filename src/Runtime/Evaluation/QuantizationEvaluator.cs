using System.Diagnostics;
using QuantRuntime.Inference;
using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Quantization;
using QuantRuntime.Models;
using QuantRuntime.Quantization;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Evaluation;

/// <summary>
/// What quantization costs in accuracy: runs the base model (in its own precision) once over the
/// evaluation windows and keeps its next-token logits at the scored positions; then, per scheme,
/// quantizes the base weights in memory (no model file is written), runs the quantized model over
/// the same windows and compares it with the base token by token: perplexity, KL(base ‖ quantized),
/// same top token, Δp (docs/EVALUATION.md defines every number). Not thread-safe.
/// </summary>
/// <example>
/// <code>
/// using var file = ModelFile.Open("model.gguf");
/// using var evaluator = new QuantizationEvaluator(file.Config, file.Weights, ids, new EvaluationOptions(ContextLength: 256));
/// var report = evaluator.Run([QuantizationScheme.Parse("q8_0"), QuantizationScheme.Parse("q4_0")]);
/// </code>
/// </example>
public sealed class QuantizationEvaluator : IDisposable
{
    private readonly TransformerConfig _config;
    private readonly TransformerWeights _weights;
    private readonly EvaluationOptions _options;
    private readonly ModelTokenizer? _tokenizer;
    private readonly IComputeBackend _backend;
    private readonly LogitStore _store;
    private readonly float[] _logits;
    private readonly float[] _baseLogits;
    private readonly double[] _p;
    private readonly double[] _q;
    private BaselineEvaluation? _baseline;
    private ActivationImportance? _importance;
    private bool _calibrated;
    private bool _disposed;

    /// <summary>Plans the windows and checks the inputs; runs nothing yet.</summary>
    /// <param name="config">The base model's hyperparameters.</param>
    /// <param name="weights">The base model's tensors as stored (its own precision is the reference).</param>
    /// <param name="tokens">The evaluation token stream (see <see cref="EvaluationWindows"/>).</param>
    /// <param name="options">Windowing, quantization and compute options.</param>
    /// <param name="tokenizer">The model's tokenizer, handed to tasks; may be null.</param>
    /// <exception cref="ArgumentException">A token or option is out of range for the model.</exception>
    public QuantizationEvaluator(TransformerConfig config, TransformerWeights weights, IReadOnlyList<int> tokens, EvaluationOptions options, ModelTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        weights.Validate(config);
        if (options.ContextLength > config.ContextLength)
        {
            throw new ArgumentException($"a window of {options.ContextLength} tokens exceeds the model's context of {config.ContextLength}");
        }
        if (options.BatchSize < 1)
        {
            throw new ArgumentException($"batch size {options.BatchSize} must be at least 1");
        }
        CheckTokens(tokens, config.VocabularySize, "evaluation");
        if (options.Bos is { } bos && (uint)bos >= (uint)config.VocabularySize)
        {
            throw new ArgumentException($"BOS id {bos} is outside the vocabulary of {config.VocabularySize}");
        }
        if (options.CalibrationTokens is { } calibration)
        {
            CheckTokens(calibration, config.VocabularySize, "calibration");
        }
        Windows = EvaluationWindows.Plan(tokens, options.ContextLength, options.Scoring, options.Bos, options.MaxWindows);
        _config = config;
        _weights = weights;
        _options = options;
        _tokenizer = tokenizer;
        int vocabulary = config.VocabularySize;
        int scoredPerWindow = Windows.Windows[0].ScoredCount;
        _store = new LogitStore([.. Windows.Windows.Select(w => w.ScoredCount * vocabulary)], options.InMemoryLimitBytes, options.SpillDirectory);
        _logits = new float[checked(scoredPerWindow * vocabulary)];
        _baseLogits = new float[_logits.Length];
        _p = new double[vocabulary];
        _q = new double[vocabulary];
        _backend = BackendFactory.Create(options.Device, options.Threads);
    }

    /// <summary>The windows and the scored positions.</summary>
    public EvaluationWindows Windows { get; }

    /// <summary>
    /// The compute backend every model runs on (<c>cpu</c>, <c>reference</c>, ...). It is part of the result:
    /// the CPU kernels round activations to 8 bits per block before quantized matrix products (as llama.cpp
    /// does), the reference backend multiplies float32 activations, so the same scheme loses a little more on the CPU.
    /// </summary>
    public string BackendName => _backend.Name;

    /// <summary>Bytes of base-model logits kept for the comparisons.</summary>
    public long StoredLogitBytes => _store.TotalBytes;

    /// <summary>The temporary file holding them, or null when they are kept in memory.</summary>
    public string? StoredLogitFile => _store.Path;

    /// <summary>The base model's results once <see cref="EvaluateBase"/> has run, else null.</summary>
    public BaselineEvaluation? Baseline => _baseline;

    /// <summary>
    /// Units of work <see cref="Run"/> reports for <paramref name="schemes"/> (one per window per model,
    /// per quantization, per task run, and the calibration): the total of a progress bar.
    /// </summary>
    public int ProgressSteps(IReadOnlyList<QuantizationScheme> schemes)
    {
        int tasks = _options.Tasks?.Count ?? 0;
        int windows = Windows.Windows.Count;
        bool calibrates = _options.CalibrationTokens is not null && schemes.Any(UsesSearch);
        return (calibrates ? 1 : 0) + (_baseline is null ? windows + tasks : 0) + schemes.Count * (1 + windows + tasks);
    }

    /// <summary>
    /// Runs the base model over the windows (once; later calls return the same result) and keeps its
    /// logits at the scored positions.
    /// </summary>
    public BaselineEvaluation EvaluateBase(IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_baseline is not null)
        {
            return _baseline;
        }
        var clock = Stopwatch.StartNew();
        int count = Windows.ScoredTokens;
        var targets = new int[count];
        var logProbabilities = new double[count];
        var tops = new int[count];
        int vocabulary = _config.VocabularySize;
        int at = 0;
        using var model = TransformerModel.Create(_config, _weights, _backend);
        ForEachWindow(model, "base", EvaluationStage.Baseline, progress, cancellationToken, (window, logits) =>
        {
            _store.Write(window.Index, logits);
            for (int r = 0; r < window.ScoredCount; r++, at++)
            {
                var row = logits.Slice(r * vocabulary, vocabulary);
                TokenDistribution.LogSoftmax(row, _p);
                targets[at] = window.Target(r);
                logProbabilities[at] = _p[targets[at]];
                tops[at] = TokenDistribution.ArgMax(row);
            }
        });
        var tasks = RunTasks("base", _weights, model, progress, cancellationToken);
        var scores = new TokenScores(targets, logProbabilities, tops, new double[count]);
        _baseline = new BaselineEvaluation(ModelSize.Of(_weights), PerplexityStatistics.FromNll(scores.NegativeLogLikelihoods()), scores, tasks, clock.Elapsed);
        return _baseline;
    }

    /// <summary>Quantizes the base weights to <paramref name="scheme"/> in memory and judges the result against the base.</summary>
    /// <remarks>
    /// <see cref="EvaluationOptions.Method"/> applies to schemes it supports (the block-quantized ones);
    /// an f16/f32 scheme is always rounded to nearest, and its result says so.
    /// </remarks>
    public SchemeEvaluation Evaluate(QuantizationScheme scheme, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        EvaluateBase(progress, cancellationToken);
        var clock = Stopwatch.StartNew();
        var method = UsesSearch(scheme) ? QuantizationMethod.Search : QuantizationMethod.RoundToNearest;
        var importance = method == QuantizationMethod.Search ? Importance(progress, cancellationToken) : null;
        var quantization = new QuantizationOptions(scheme, method, _options.OutputHead, importance);
        var quantized = ModelQuantizer.Quantize(_weights, quantization, null, _options.Threads, cancellationToken);
        progress?.Report(new EvaluationProgress(EvaluationStage.Quantizing, scheme.Name, 0, Windows.Windows.Count));
        var sqnr = _options.PerTensor ? QuantizationNoise.Measure(_weights, quantized.Weights, _options.Threads, cancellationToken) : null;
        return Compare(scheme.Name, method, quantized.Weights, quantized.Tensors, sqnr, clock, progress, cancellationToken);
    }

    /// <summary>
    /// Judges arbitrary weights of the same shapes (e.g. a model quantized elsewhere, or the base itself)
    /// against the base model, on the same windows.
    /// </summary>
    public SchemeEvaluation EvaluateWeights(string name, TransformerWeights weights, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        weights.Validate(_config);
        EvaluateBase(progress, cancellationToken);
        var clock = Stopwatch.StartNew();
        var sqnr = _options.PerTensor ? QuantizationNoise.Measure(_weights, weights, _options.Threads, cancellationToken) : null;
        return Compare(name, null, weights, null, sqnr, clock, progress, cancellationToken);
    }

    /// <summary>
    /// The base model, then every scheme in order. Cancelled after the base model has finished, it
    /// returns the schemes completed so far with <see cref="EvaluationReport.Complete"/> false; cancelled
    /// before, it throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public EvaluationReport Run(IReadOnlyList<QuantizationScheme> schemes, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schemes);
        var baseline = EvaluateBase(progress, cancellationToken);
        var done = new List<SchemeEvaluation>();
        foreach (var scheme in schemes)
        {
            try
            {
                done.Add(Evaluate(scheme, progress, cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new EvaluationReport(Windows, baseline, done, Complete: false);
            }
        }
        return new EvaluationReport(Windows, baseline, done, Complete: true);
    }

    private SchemeEvaluation Compare(string name, QuantizationMethod? method, TransformerWeights weights, IReadOnlyList<TensorQuantizationRecord>? records,
        IReadOnlyList<TensorSqnr>? sqnr, Stopwatch clock, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        var baseline = _baseline!;
        int count = Windows.ScoredTokens;
        var logProbabilities = new double[count];
        var tops = new int[count];
        var divergences = new double[count];
        int vocabulary = _config.VocabularySize;
        int at = 0;
        using var model = TransformerModel.Create(_config, weights, _backend);
        ForEachWindow(model, name, EvaluationStage.Evaluating, progress, cancellationToken, (window, logits) =>
        {
            var reference = _baseLogits.AsSpan(0, logits.Length);
            _store.Read(window.Index, reference);
            for (int r = 0; r < window.ScoredCount; r++, at++)
            {
                var row = logits.Slice(r * vocabulary, vocabulary);
                TokenDistribution.LogSoftmax(reference.Slice(r * vocabulary, vocabulary), _p);
                TokenDistribution.LogSoftmax(row, _q);
                logProbabilities[at] = _q[baseline.Tokens.Targets[at]];
                tops[at] = TokenDistribution.ArgMax(row);
                divergences[at] = TokenDistribution.KlDivergence(_p, _q);
            }
        });
        var tasks = RunTasks(name, weights, model, progress, cancellationToken);
        var scores = new TokenScores(baseline.Tokens.Targets, logProbabilities, tops, divergences);
        var nll = scores.NegativeLogLikelihoods();
        var deltas = new double[count];
        int same = 0;
        for (int i = 0; i < count; i++)
        {
            deltas[i] = Math.Exp(logProbabilities[i]) - Math.Exp(baseline.Tokens.LogProbabilities[i]);
            same += tops[i] == baseline.Tokens.TopTokens[i] ? 1 : 0;
        }
        return new SchemeEvaluation(
            name,
            method,
            ModelSize.Of(weights),
            PerplexityStatistics.FromNll(nll),
            PerplexityComparison.FromNll(nll, baseline.Tokens.NegativeLogLikelihoods()),
            KlDivergenceStatistics.From(divergences),
            new TopTokenAgreement(same, count),
            ProbabilityDeltaStatistics.From(deltas),
            scores,
            records,
            sqnr,
            tasks,
            clock.Elapsed);
    }

    /// <summary>
    /// Runs every window from an empty KV cache and hands over the logits of its scored positions. The
    /// context before the first scored position is evaluated without the output head (only its KV entries
    /// matter), and the window's last token is never run: its prediction has no target.
    /// </summary>
    private void ForEachWindow(TransformerModel model, string name, EvaluationStage stage, IProgress<EvaluationProgress>? progress,
        CancellationToken cancellationToken, SpanAction consume)
    {
        int vocabulary = _config.VocabularySize;
        int batch = Math.Min(_options.BatchSize, Windows.ContextLength);
        using var session = model.CreateSession(new SessionOptions(ContextLength: Windows.ContextLength, BatchSize: batch));
        var last = new float[vocabulary];
        foreach (var window in Windows.Windows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            session.Rewind(0);
            int first = window.FirstScored;
            for (int start = 0; start < first; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                session.Evaluate(window.Tokens.AsSpan(start, Math.Min(batch, first - start)), last);
            }
            int scored = window.ScoredCount;
            for (int start = 0; start < scored; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int length = Math.Min(batch, scored - start);
                session.EvaluateAll(window.Tokens.AsSpan(first + start, length), _logits.AsSpan(start * vocabulary, length * vocabulary));
            }
            consume(window, _logits.AsSpan(0, scored * vocabulary));
            progress?.Report(new EvaluationProgress(stage, name, window.Index + 1, Windows.Windows.Count));
        }
    }

    private delegate void SpanAction(EvaluationWindow window, ReadOnlySpan<float> logits);

    private IReadOnlyList<EvaluationTaskResult> RunTasks(string name, TransformerWeights weights, TransformerModel model, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        if (_options.Tasks is not { Count: > 0 } tasks)
        {
            return [];
        }
        var context = new EvaluationTaskContext(name, _config, weights, model, _tokenizer, _options.Device, _options.Threads);
        var results = new List<EvaluationTaskResult>();
        foreach (var task in tasks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(task.Run(context, cancellationToken));
            progress?.Report(new EvaluationProgress(EvaluationStage.Task, name, 0, Windows.Windows.Count));
        }
        return results;
    }

    private bool UsesSearch(QuantizationScheme scheme) => _options.Method == QuantizationMethod.Search && GroupScaleSearch.Supports(scheme.Type);

    private ActivationImportance? Importance(IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        if (!_calibrated && _options.CalibrationTokens is { } calibration)
        {
            _importance = ImportanceCollector.Collect(_config, _weights, calibration, _options.CalibrationWindow, _options.Device, _options.Threads, cancellationToken);
            progress?.Report(new EvaluationProgress(EvaluationStage.Calibrating, "base", 0, Windows.Windows.Count));
        }
        _calibrated = true;
        return _importance;
    }

    private static void CheckTokens(IReadOnlyList<int> tokens, int vocabulary, string what)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
            {
                throw new ArgumentException($"{what} token {tokens[i]} (at {i}) is outside the vocabulary of {vocabulary}");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _store.Dispose();
        _backend.Dispose();
    }
}
