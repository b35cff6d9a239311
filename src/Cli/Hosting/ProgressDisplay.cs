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
        T result = default!;
        ErrorConsole().Progress()
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

    /// <summary>
    /// Loads a model with a spinner naming it on standard error while it loads (a GPU upload or a
    /// cold page cache can take seconds); on a pipe, or with JSON output, it just loads.
    /// </summary>
    public static LanguageModel LoadModel(string path, LanguageModelOptions options, bool json = false) =>
        Status($"loading {Path.GetFileName(path)}", json, () => LanguageModel.Load(path, options));

    /// <summary>Runs <paramref name="work"/> under a transient spinner with <paramref name="title"/> (terminal only).</summary>
    public static T Status<T>(string title, bool json, Func<T> work)
    {
        if (!Enabled(json))
        {
            return work();
        }
        T result = default!;
        ErrorConsole().Status()
            .Spinner(Spinner.Known.Dots)
            .Start(Markup.Escape(title), _ => result = work());
        return result;
    }

    /// <summary>A console on standard error; Spectre.Console drops colour when NO_COLOR is set.</summary>
    private static IAnsiConsole ErrorConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and lag behind).</summary>
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
