using RwxGuard;
using RwxGuard.Audit;
using RwxGuard.Options;

// `webhook audit …`: the policies over manifests, offline (docs/audit.md).
if (args.FirstOrDefault() == "audit")
    return await AuditCommand.RunAsync(args[1..], Console.In, Console.Out, Console.Error);

try
{
    var app = WebhookHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (SettingsException e)
{
    // Bad configuration stops the start with the key named; exit 2 like kube components' flag errors.
    Console.Error.WriteLine(e.Message);
    return 2;
}
