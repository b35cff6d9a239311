using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using QuantRuntime.Inference;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Generation;

/// <summary>
/// Streams a completion of a prompt: evaluates the prompt in one batch, then samples one token
/// at a time. Each call uses its own <see cref="InferenceSession"/>, so one
/// <see cref="LanguageModel"/> can serve concurrent generations.
/// </summary>
public sealed class TextGenerator(LanguageModel model)
{
    /// <summary>Generates tokens for <paramref name="request"/>, then a final update with the result.</summary>
    /// <exception cref="ArgumentException">The request is invalid (no prompt, prompt text without a tokenizer, bad sampling values).</exception>
    /// <exception cref="ContextOverflowException">The prompt and the requested tokens do not fit in the context.</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        request.Sampling.Validate();
        if (request.MaxTokens < 0)
        {
            throw new ArgumentException($"the number of tokens to generate ({request.MaxTokens}) must be >= 0");
        }
        int[] prompt = Tokenize(request);
        int context = request.ContextLength ?? model.Config.ContextLength;
        if ((long)prompt.Length + request.MaxTokens > context)
        {
            throw new ContextOverflowException(
                $"prompt ({prompt.Length} tokens) plus {request.MaxTokens} new tokens exceed the context of {context}");
        }
        // Without an explicit context the KV cache holds only the positions this generation can reach, not all
        // the model claims (a file may say 16M positions, which as a cache would exhaust memory before the first token).
        using var session = model.CreateSession(request.ContextLength ?? prompt.Length + request.MaxTokens);
        var tokenizer = model.Tokenizer;
        var decoder = tokenizer is null ? null : new StreamingDecoder(tokenizer);
        var stops = new StopSequenceFilter(request.StopSequences);
        var text = tokenizer is null ? null : new StringBuilder();
        var sampler = new Sampler(request.Sampling, session.VocabularySize);
        foreach (int id in prompt)
        {
            sampler.Accept(id);
        }
        var logits = new float[session.VocabularySize];
        var generated = new List<int>(request.MaxTokens);
        var clock = Stopwatch.StartNew();
        await Task.Yield(); // let the caller's UI run before the first heavy step
        session.Evaluate(prompt, logits);
        double promptSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var reason = StopReason.MaxTokens;
        for (int step = 0; step < request.MaxTokens; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                reason = StopReason.Cancelled;
                break;
            }
            int token = sampler.Sample(logits);
            generated.Add(token);
            bool end = request.StopAtEndOfGeneration && tokenizer is not null && tokenizer.IsEndOfGeneration(token);
            string piece = end || decoder is null ? string.Empty : stops.Push(decoder.Append(token));
            text?.Append(piece);
            yield return new GenerationUpdate(token, piece, null);
            if (end)
            {
                reason = StopReason.EndOfGeneration;
                break;
            }
            if (stops.Stopped)
            {
                reason = StopReason.StopSequence;
                break;
            }
            if (step + 1 < request.MaxTokens)
            {
                session.Evaluate([token], logits);
            }
        }
        double generationSeconds = clock.Elapsed.TotalSeconds;
        if (decoder is not null && reason != StopReason.StopSequence)
        {
            string rest = stops.Push(decoder.Flush()) + stops.Flush();
            if (rest.Length > 0)
            {
                text!.Append(rest);
                yield return new GenerationUpdate(-1, rest, null);
            }
        }
        var result = new GenerationResult(prompt, generated, text?.ToString(), reason, promptSeconds, generationSeconds);
        yield return new GenerationUpdate(-1, string.Empty, result);
    }

    private int[] Tokenize(GenerationRequest request)
    {
        if ((request.Prompt is null) == (request.PromptIds is null))
        {
            throw new ArgumentException("give exactly one of a prompt text and prompt ids");
        }
        int[] ids;
        if (request.PromptIds is not null)
        {
            ids = [.. request.PromptIds];
            int vocabulary = model.Config.VocabularySize;
            foreach (int id in ids)
            {
                if ((uint)id >= (uint)vocabulary)
                {
                    throw new ArgumentException($"prompt id {id} is outside the vocabulary of {vocabulary}");
                }
            }
        }
        else
        {
            var tokenizer = model.Tokenizer
                ?? throw new ArgumentException("this model has no tokenizer: give the prompt as token ids");
            bool addBos = request.AddBos ?? tokenizer.AddBos;
            var encoded = tokenizer.Encode(request.Prompt!, addSpecialTokens: false);
            ids = addBos && tokenizer.BosId is int bos ? [bos, .. encoded] : [.. encoded];
        }
        if (ids.Length == 0)
        {
            throw new ArgumentException("the prompt is empty");
        }
        return ids;
    }
}
