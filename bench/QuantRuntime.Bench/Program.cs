using BenchmarkDotNet.Running;

// Runs the BenchmarkDotNet suites: `dotnet run -c Release --project bench/QuantRuntime.Bench -- --filter *`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
