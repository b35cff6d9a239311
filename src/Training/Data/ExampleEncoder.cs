using QuantRuntime.Tokenization;

namespace QuantRuntime.Training.Data;

/// <summary>Turns problems into token sequences with the engine's own tokenizer, so training sees exactly what inference sees.</summary>
public static class ExampleEncoder
{
    /// <summary>Tokenizes <paramref name="problem"/> answered in <paramref name="mode"/>: BOS, question, completion, EOS.</summary>
    public static TrainingExample Encode(ArithmeticProblem problem, ThoughtMode mode, ModelTokenizer? tokenizer = null)
    {
        tokenizer ??= ArithmeticVocabulary.Tokenizer;
        var question = tokenizer.Encode(ArithmeticTask.Question(problem), addSpecialTokens: true);
        var completion = tokenizer.Encode(ArithmeticTask.Completion(problem, mode), addSpecialTokens: false);
        var tokens = new int[question.Count + completion.Count + 1];
        for (int i = 0; i < question.Count; i++)
        {
            tokens[i] = question[i];
        }
        for (int i = 0; i < completion.Count; i++)
        {
            tokens[question.Count + i] = completion[i];
        }
        tokens[^1] = tokenizer.EosId ?? throw new InvalidOperationException("the tokenizer has no end-of-sequence token");
        return new TrainingExample(tokens, question.Count);
    }
}
