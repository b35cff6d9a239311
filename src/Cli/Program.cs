using System.CommandLine;
using QuantRuntime.Cli.Commands;
using QuantRuntime.Cli.Hosting;
using QuantRuntime.Evaluation;
using QuantRuntime.Training.Evaluation;

EvaluationTasks.Register("arithmetic", ArithmeticEvaluationTask.Parse);

var root = new RootCommand("""
    quant: a quantized transformer inference runtime.
    Exit codes: 0 success, 1 failure while running, 2 invalid input, 130 interrupted.
    """)
{
    GenerateCommand.Create(),
    LogitsCommand.Create(),
    InfoCommand.Create(),
    QuantizeCommand.Create(),
    ConvertCommand.Create(),
    ThinkCommand.Create(),
    ChatCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
    TrainCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line per problem and a pointer to help, with the invalid-input exit code (System.CommandLine would use 1).
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }
    string command = parse.CommandResult.Command == root ? "quant" : $"quant {parse.CommandResult.Command.Name}";
    Console.Error.WriteLine($"run '{command} --help' for usage");
    return ExitCodes.InvalidInput;
}
return await parse.InvokeAsync();
