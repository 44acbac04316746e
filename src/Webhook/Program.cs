using RwxGuard.CommandLine;

// `webhook` serves the admission webhook; `webhook audit|migrate|verify` are commands (docs/audit.md, docs/migrate.md).
return await WebhookCommandLine.RunAsync(args, CliConsole.System);

/// <summary>Entry point type, visible to tests.</summary>
public partial class Program;
