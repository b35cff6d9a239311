using System.Diagnostics;
using QuantRuntime.Training;
using QuantRuntime.Training.Compute;
using QuantRuntime.Training.Data;
using QuantRuntime.Training.Model;

/// <summary>Timings of the trainer's parts, to see where a step goes.</summary>
internal static class Bench
{
    public static void Run()
    {
        foreach (var (m, k, n) in new[] { (640, 128, 384), (640, 384, 128), (640, 128, 128), (128, 640, 384), (384, 640, 128), (640, 128, 295) })
        {
            var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
            for (int i = 0; i < a.Length; i++) a[i] = i % 7 * 0.1f;
            for (int i = 0; i < b.Length; i++) b[i] = i % 5 * 0.1f;
            Gemm.MatMul(a, b, c, m, k, n, false);
            for (int round = 0; round < 2; round++)
            {
                var sw = Stopwatch.StartNew(); int reps = 0;
                while (sw.ElapsedMilliseconds < 300) { Gemm.MatMul(a, b, c, m, k, n, true); reps++; }
                Console.WriteLine($"gemm {m}x{k}x{n}: {2.0 * m * k * n * reps / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s");
            }
        }
        var layout = new ParameterLayout(TrainingOptions.DefaultModel);
        var p = Trainer.Initialize(layout, 1, 0.02);
        var t = new float[layout.Count];
        TransformerGraph.TransposeMatrices(layout, p, t);
        var sampler = new ArithmeticProblemSampler(1);
        var batch = PackedBatch.Pack([.. Enumerable.Range(0, 8).Select(_ => ExampleEncoder.Encode(sampler.Next(), ThoughtMode.ChainOfThought))]);
        var g = new float[layout.Count];
        var graph = new TransformerGraph(layout, batch.Rows);
        graph.ForwardBackward(p, t, batch, g, 1f);
        for (int round = 0; round < 3; round++)
        {
            var clock0 = Stopwatch.StartNew(); int n0 = 0;
            while (clock0.ElapsedMilliseconds < 2000) { graph.ForwardBackward(p, t, batch, g, 1f); n0++; }
            double s0 = clock0.Elapsed.TotalSeconds / n0;
            Console.WriteLine($"forward+backward of {batch.Rows} rows: {s0 * 1000:F1} ms = {batch.Rows / s0:F0} tok/s, {6.0 * layout.Count * batch.Rows / s0 / 1e9:F1} GFLOP/s (6N)");
        }
        var clock = Stopwatch.StartNew(); int n2 = 0;
        clock.Restart(); n2 = 0;
        while (clock.ElapsedMilliseconds < 2000) { graph.ForwardLogits(p, t, batch); n2++; }
        Console.WriteLine($"forward only: {clock.Elapsed.TotalMilliseconds / n2:F1} ms");
    }
}
