using QuantRuntime.Training;

// quant-train: the training library's command line until `quant train` is wired.
//   train ...   train a model (TrainCommandRunner.TrainUsage)
//   eval ...    held-out accuracy in each mode (TrainCommandRunner.EvalUsage)
//   samples     worked examples and token counts
//   analyze MODEL N   where greedy chains of thought go wrong
//   bench       timings of the trainer's kernels
switch (args.FirstOrDefault())
{
    case "samples":
        Samples.Run();
        return 0;
    case "analyze" when args.Length == 3:
        Analyze.Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), threads: 2);
        return 0;
    case "bench":
        Bench.Run();
        return 0;
    default:
        return TrainCommandRunner.Run(args, Console.Out, Console.Error);
}
