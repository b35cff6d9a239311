using System.CommandLine;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Training;

namespace QuantRuntime.Cli.Commands;

/// <summary><c>quant train</c>: train the project's arithmetic reasoning model (the options are the trainer's own).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", $"""
            Train the project's small reasoning model on synthetic arithmetic and write it as GGUF.
            Options: {TrainCommandRunner.TrainUsage}
            The first example is how the shipped model was trained (see models/README.md).
            Examples:
              quant train --steps 3000 --warmup 100 --seed 1 --threads 2 --log-every 50 --checkpoint-every 500 --out models/arith-reasoner.gguf
              quant train --steps 200 --dim 64 --layers 2 --out tiny.gguf
            """)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, cancellation) =>
        {
            try
            {
                var options = TrainCommandRunner.ParseTrain([.. parse.UnmatchedTokens]);
                return Task.FromResult(TrainCommandRunner.Train(options, Console.Out, cancellation));
            }
            catch (Exception e)
            {
                return Task.FromResult(ErrorReporter.Report(e));
            }
        });
        return command;
    }
}
