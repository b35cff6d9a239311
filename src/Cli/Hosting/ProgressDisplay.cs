using Spectre.Console;

namespace QuantRuntime.Cli.Hosting;

/// <summary>
/// A progress bar on standard error, shown only when standard error is a terminal and the
/// command is not printing JSON, so pipes and logs get clean output. Spectre.Console honours NO_COLOR.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Whether a progress bar would be shown.</summary>
    public static bool Enabled(bool json) => !json && !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="work"/>, advancing a bar of <paramref name="total"/> steps each time it reports.</summary>
    public static T Run<T>(string title, int total, bool json, Func<IProgress<string>, T> work)
    {
        if (!Enabled(json))
        {
            return work(new Progress<string>(_ => { }));
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                result = work(new SynchronousProgress(step =>
                {
                    task.Description = Markup.Escape($"{title}: {step}");
                    task.Increment(1);
                }));
            });
        return result;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and lag behind).</summary>
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
