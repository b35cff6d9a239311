using QuantRuntime.Training;
using QuantRuntime.Training.Data;

if (args.Length > 0 && args[0] == "samples")
{
    foreach (var p in new[] { new ArithmeticProblem(48213, ArithmeticOperation.Add, 3797), new ArithmeticProblem(5120, ArithmeticOperation.Subtract, 877),
        new ArithmeticProblem(877, ArithmeticOperation.Subtract, 5120), new ArithmeticProblem(48213, ArithmeticOperation.Subtract, 48219), new ArithmeticProblem(372, ArithmeticOperation.Multiply, 6) })
    {
        Console.WriteLine(ArithmeticTask.Format(p));
        var e = ExampleEncoder.Encode(p, ThoughtMode.ChainOfThought);
        Console.WriteLine($"-- {e.Tokens.Length} tokens, loss from {e.LossStart}: {string.Join(' ', e.Tokens)}");
        Console.WriteLine(ArithmeticTask.Format(p, ThoughtMode.Direct));
    }
    var sampler = new ArithmeticProblemSampler(1);
    int max = 0; long sum = 0; int n = 20000;
    for (int i = 0; i < n; i++) { var e = ExampleEncoder.Encode(sampler.Next(), ThoughtMode.ChainOfThought); max = Math.Max(max, e.Tokens.Length); sum += e.Tokens.Length; }
    Console.WriteLine($"max {max} mean {(double)sum / n:F1}");
    return 0;
}
return TrainCommandRunner.Run(args, Console.Out, Console.Error);
