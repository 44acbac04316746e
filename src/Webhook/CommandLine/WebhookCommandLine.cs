using System.CommandLine;
using System.CommandLine.Help;
using RwxGuard.Audit;
using RwxGuard.Migrate;
using RwxGuard.Verify;

namespace RwxGuard.CommandLine;

/// <summary>The console a command writes to: streams, and whether stdout is a terminal (progress bars, colours).</summary>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, bool IsTerminal)
{
    public static CliConsole System => new(Console.In, Console.Out, Console.Error,
        !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"));
}

/// <summary>
/// The binary's command line, one System.CommandLine tree: <c>webhook</c> serves (its kube-style flags map to
/// configuration keys, <see cref="ServeCommand"/>), <c>webhook audit|migrate|verify</c> are commands. An unknown
/// command or flag prints the error and usage and exits 2; <c>--help</c> works at every level.
/// </summary>
public static class WebhookCommandLine
{
    /// <summary>A bad flag or unusable input: the exit code every command shares (and the server's for bad settings).</summary>
    public const int ExitUsage = 2;

    /// <summary>The command tree, parsed; nothing runs. (Tests use it to check that the deployed flags still parse.)</summary>
    internal static (RootCommand Root, ParseResult Result) Parse(string[] args, CliConsole console)
    {
        var root = new RootCommand("rwx-guard: keeps replicated workloads off single-attach volumes. With no command, serves the admission webhook.");
        ServeCommand.Configure(root, args, console);
        var audit = AuditCommandLine.Create();
        root.Add(WithAction(audit.Command, (r, ct) => AuditCommand.RunAsync(audit.Read(r), console.In, console.Out, console.Error, null, ct)));
        root.Add(MigrateCommandLine.Create(console));
        root.Add(VerifyCommandLine.Create(console));
        return (root, root.Parse(args));
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var (root, result) = Parse(args, console);
        var command = result.CommandResult.Command;
        var name = command == root ? "webhook" : $"webhook {command.Name}";
        if (result.Action is HelpAction)
        {
            if (command.Name == "audit") await console.Out.WriteAsync(AuditArguments.Usage);
            else await result.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, cancellationToken);
            return 0;
        }
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) await console.Error.WriteLineAsync($"error: {error.Message}");
            await console.Error.WriteLineAsync($"Run '{name} --help' for usage.");
            return ExitUsage;
        }
        return await result.InvokeAsync(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            // The server handles SIGTERM itself (drain, then stop: ShutdownCoordinator); the commands take Ctrl-C as a
            // cancellation and say how to resume.
            ProcessTerminationTimeout = command == root ? null : TimeSpan.FromSeconds(5),
        }, cancellationToken);
    }

    private static Command WithAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(action);
        return command;
    }
}
