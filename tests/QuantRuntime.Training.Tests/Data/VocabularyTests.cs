using QuantRuntime.Formats.Gguf;
using QuantRuntime.Tokenization;
using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Tests.Data;

public sealed class VocabularyTests
{
    private static ModelTokenizer Tokenizer => ArithmeticVocabulary.Tokenizer;

    private static int Id(string token) => Array.IndexOf(ArithmeticVocabulary.Tokens(), token);

    [Fact]
    public void TheQuestionTokenizesAsTrained()
    {
        var ids = Tokenizer.Encode("What is 48213 + 3797?");
        int[] expected =
        [
            ArithmeticVocabulary.BosId, Id("What"), Id("\u2581is"), Id("\u2581"),
            Id("4"), Id("8"), Id("2"), Id("1"), Id("3"), Id("\u2581+\u2581"), Id("3"), Id("7"), Id("9"), Id("7"), Id("?"),
        ];
        Assert.DoesNotContain(-1, expected);
        Assert.Equal(expected, ids);
        var example = ExampleEncoder.Encode(new(48213, ArithmeticOperation.Add, 3797), ThoughtMode.ChainOfThought);
        Assert.Equal(expected, example.Tokens[..expected.Length]);
        Assert.Equal(ArithmeticVocabulary.ThinkOpenId, example.Tokens[expected.Length]);
        Assert.Equal(expected.Length, example.LossStart);
        Assert.Equal(ArithmeticVocabulary.EosId, example.Tokens[^1]);
    }

    [Fact]
    public void TagsDigitsAndOperatorsAreSingleTokens()
    {
        Assert.Equal([ArithmeticVocabulary.ThinkOpenId, ArithmeticVocabulary.ThinkCloseId], Tokenizer.Encode("<think></think>", addSpecialTokens: false));
        foreach (string piece in new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "-", "*", "=", "<", ">", "a", "b", "c", "d", "e" })
        {
            Assert.Equal([Id(piece)], Tokenizer.Encode(piece, addSpecialTokens: false));
        }
        Assert.Equal([ArithmeticVocabulary.FirstByteId + '\n'], Tokenizer.Encode("\n", addSpecialTokens: false));
        Assert.Equal(TokenType.UserDefined, Tokenizer.GetTokenType(ArithmeticVocabulary.ThinkOpenId));
        Assert.True(Tokenizer.IsEndOfGeneration(ArithmeticVocabulary.EosId));
        Assert.False(Tokenizer.AddSpacePrefix);
    }

    [Fact]
    public void EveryTrainingTextRoundTrips()
    {
        var sampler = new ArithmeticProblemSampler(3);
        for (int i = 0; i < 3000; i++)
        {
            var problem = sampler.Next();
            foreach (var mode in new[] { ThoughtMode.ChainOfThought, ThoughtMode.Direct })
            {
                string text = ArithmeticTask.Format(problem, mode);
                var example = ExampleEncoder.Encode(problem, mode);
                Assert.Equal(Tokenizer.Encode(text).Append(ArithmeticVocabulary.EosId), example.Tokens);
                Assert.Equal(text, Tokenizer.Decode(example.Tokens, skipSpecialTokens: true));
                // No byte fallback except the newline: the task is covered by the vocabulary.
                Assert.All(example.Tokens, id => Assert.True(Tokenizer.GetTokenType(id) != TokenType.Byte || id == ArithmeticVocabulary.FirstByteId + '\n'));
            }
        }
    }

    [Fact]
    public void AnyTextTokenizesThroughByteFallback()
    {
        const string text = "Quel est 3 × 4 ? 🙂 {x}\t";
        var ids = Tokenizer.Encode(text, addSpecialTokens: false);
        Assert.Equal(text, Tokenizer.Decode(ids));
        Assert.DoesNotContain(ArithmeticVocabulary.UnknownId, ids);
    }

    [Fact]
    public void MetadataSurvivesAGgufFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"arith-vocab-{Guid.NewGuid():N}.gguf");
        try
        {
            var writer = new GgufWriter();
            writer.Add("general.architecture", "llama");
            writer.AddAll(ArithmeticVocabulary.CreateMetadata("vocab-test"));
            writer.Save(path);
            using var file = GgufFile.Open(path);
            var tokenizer = ModelTokenizer.FromGguf(file.Metadata)!;
            Assert.Equal(ArithmeticVocabulary.Size, tokenizer.VocabularySize);
            string text = ArithmeticTask.Format(new(877, ArithmeticOperation.Subtract, 5120));
            Assert.Equal(Tokenizer.Encode(text), tokenizer.Encode(text));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
