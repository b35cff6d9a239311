using QuantRuntime.Training;

// quant-train: the training library's command line until `quant train` is wired.
//   train ...   train a model (TrainCommandRunner.TrainUsage)
//   eval ...    held-out accuracy in each mode (TrainCommandRunner.EvalUsage)
//   samples     worked examples and token counts
//   analyze MODEL N   where greedy chains of thought go wrong
//   bench       timings of the trainer's kernels
//   heldout-ids N FILE   token ids of N held-out worked examples (BOS … EOS each), for quant eval --ids
switch (args.FirstOrDefault())
{
    case "heldout-ids" when args.Length == 3:
        HeldOutIds.Write(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), args[2]);
        return 0;
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
