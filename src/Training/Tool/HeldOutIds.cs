using System.Text;
using QuantRuntime.IO;
using QuantRuntime.Training.Data;

/// <summary>
/// Writes the token ids of held-out worked examples (chain of thought, BOS … EOS each, as in
/// training) for <c>quant eval --ids</c>: text the model was never trained on, in its own format.
/// Seed 2, so it is not the accuracy set (<c>ArithmeticTask.HeldOut(1000, seed: 1)</c>) in the same order.
/// </summary>
internal static class HeldOutIds
{
    public static void Write(int problems, string path)
    {
        var text = new StringBuilder();
        foreach (var problem in ArithmeticTask.HeldOut(problems, seed: 2))
        {
            text.AppendJoin(' ', ExampleEncoder.Encode(problem, ThoughtMode.ChainOfThought).Tokens).Append('\n');
        }
        AtomicFile.Write(path, stream => stream.Write(Encoding.ASCII.GetBytes(text.ToString())));
    }
}
