using QuantRuntime;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Evaluation;

/// <summary>Where greedy chains of thought go wrong: the first line that differs from the reference working, by kind.</summary>
internal static class Analyze
{
    public static void Run(string path, int count, int threads)
    {
        using var model = LanguageModel.Load(path, new LanguageModelOptions(Threads: 1));
        var problems = ArithmeticTask.HeldOut(count, 1);
        var result = new ArithmeticEvaluator(model, threads).Evaluate(problems, EvaluationMode.ChainOfThought);
        Console.WriteLine($"accuracy {result.Accuracy:P1} ({result.Correct}/{result.Total}), {result.Seconds:F0}s");
        var kinds = new Dictionary<string, int>();
        foreach (var o in result.Outcomes.Where(o => !o.Correct))
        {
            string expected = ArithmeticTask.Completion(o.Problem);
            bool oldFormat = !o.Output.StartsWith("<think>\n") && !o.Output.StartsWith("<think></think>");
            if (oldFormat)
            {
                expected = expected.Replace("<think>\n", "<think>");
            }
            var e = expected.Split('\n');
            var g = o.Output.Split('\n');
            string kind = "answer";
            for (int i = 0; i < Math.Max(e.Length, g.Length); i++)
            {
                string el = i < e.Length ? e[i] : "", gl = i < g.Length ? g[i] : "";
                if (el != gl)
                {
                    kind = el.StartsWith("</think>") || gl.StartsWith("</think>") ? (i == e.Length - 1 && i == g.Length - 1 ? "answer" : "line count")
                        : i == (oldFormat ? 0 : 1) ? "restatement" : el.Contains('<') || el.Contains('>') || (el.Contains('=') && el.Length != 9) ? "compare" : el.StartsWith('-') ? "swap" : $"column {el.FirstOrDefault()}";
                    break;
                }
            }
            kind = $"{o.Problem.Operation} {kind}";
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            if (kinds[kind] <= 2)
            {
                Console.WriteLine($"{kind}: {o.Problem} = {o.Problem.Answer}\n  got  {o.Output.Replace("\n", "|")}\n  want {expected.Replace("\n", "|")}");
            }
        }
        foreach (var (k, n) in kinds.OrderByDescending(p => p.Value))
        {
            Console.WriteLine($"{n,5}  {k}");
        }
    }
}
