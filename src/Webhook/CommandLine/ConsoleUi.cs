using RwxGuard.Migrate;
using RwxGuard.Verify;
using Spectre.Console;

namespace RwxGuard.CommandLine;

/// <summary>
/// Drawing for the cluster commands, with Spectre.Console on a terminal (colours, a live progress bar) and plain lines
/// otherwise (CI logs, pipes, files): the same words either way.
/// </summary>
public sealed class ConsoleUi : IMigrationOutput
{
    private readonly CliConsole _console;
    private readonly IAnsiConsole? _ansi;

    public ConsoleUi(CliConsole console)
    {
        _console = console;
        if (console.IsTerminal)
            _ansi = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.Detect,
                ColorSystem = ColorSystemSupport.Detect,
                Out = new AnsiConsoleOutput(console.Out),
            });
    }

    public void Checklist(IEnumerable<CheckResult> results)
    {
        foreach (var r in results)
        {
            if (_ansi is null)
            {
                _console.Out.WriteLine($"{r.Symbol} {r.Subject} {r.Check}: {r.Evidence}");
                continue;
            }
            var colour = r.Status switch { CheckStatus.Pass => "green", CheckStatus.Warn => "yellow", _ => "red" };
            _ansi.MarkupLine($"[{colour}]{r.Symbol}[/] [bold]{Markup.Escape(r.Subject)}[/] {Markup.Escape(r.Check)}: {Markup.Escape(r.Evidence)}");
        }
    }

    public void StepDone(string step, string detail)
    {
        if (_ansi is null) _console.Out.WriteLine($"✓ {step}: {detail}");
        else _ansi.MarkupLine($"[green]✓[/] [bold]{Markup.Escape(step)}[/]: {Markup.Escape(detail)}");
    }

    public void Info(string message) => _console.Out.WriteLine(message);

    public void Warn(string message)
    {
        if (_ansi is null) _console.Out.WriteLine($"⚠ {message}");
        else _ansi.MarkupLine($"[yellow]⚠[/] {Markup.Escape(message)}");
    }

    public void Fail(string message)
    {
        if (_ansi is null) _console.Error.WriteLine($"✗ {message}");
        else _ansi.MarkupLine($"[red]✗ {Markup.Escape(message)}[/]");
    }

    public async Task<T> WithProgressAsync<T>(string title, Func<Action<CopyProgress>, Action<string>, Task<T>> work)
    {
        if (_ansi is null)
        {
            // Plain: one line per PROGRESS line of the script, and the script's own lines indented.
            return await work(p => _console.Out.WriteLine($"  {title}: {p}"), line => _console.Out.WriteLine($"  | {line}"));
        }
        T result = default!;
        await _ansi.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1000);
                result = await work(p =>
                {
                    task.Value = p.Fraction * 1000;
                    task.Description = Markup.Escape($"{title}: {p.Files}/{p.TotalFiles} files, {CopyProgress.Size(p.Bytes)}/{CopyProgress.Size(p.TotalBytes)}");
                }, line => _ansi.MarkupLine($"  [grey]| {Markup.Escape(line)}[/]"));
                task.Value = task.MaxValue;
            });
        return result;
    }
}
