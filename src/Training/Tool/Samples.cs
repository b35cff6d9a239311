using QuantRuntime.Training.Data;

/// <summary>Prints worked examples in both modes with their token ids, and the length of the training texts.</summary>
internal static class Samples
{
    public static void Run()
    {
        ArithmeticProblem[] problems =
        [
            new(48213, ArithmeticOperation.Add, 3797), new(5120, ArithmeticOperation.Subtract, 877),
            new(877, ArithmeticOperation.Subtract, 5120), new(48213, ArithmeticOperation.Subtract, 48219), new(372, ArithmeticOperation.Multiply, 6),
        ];
        foreach (var p in problems)
        {
            Console.WriteLine(ArithmeticTask.Format(p));
            var e = ExampleEncoder.Encode(p, ThoughtMode.ChainOfThought);
            Console.WriteLine($"-- {e.Tokens.Length} tokens, loss from {e.LossStart}: {string.Join(' ', e.Tokens)}");
            Console.WriteLine(ArithmeticTask.Format(p, ThoughtMode.Direct));
        }
        var sampler = new ArithmeticProblemSampler(1);
        int max = 0;
        long sum = 0;
        const int count = 20000;
        for (int i = 0; i < count; i++)
        {
            var e = ExampleEncoder.Encode(sampler.Next(), ThoughtMode.ChainOfThought);
            max = Math.Max(max, e.Tokens.Length);
            sum += e.Tokens.Length;
        }
        Console.WriteLine($"chain-of-thought texts: longest {max} tokens, mean {(double)sum / count:F1} over {count} training problems");
    }
}
