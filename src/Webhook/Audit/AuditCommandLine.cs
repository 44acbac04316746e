using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using RwxGuard.Reporting;

namespace RwxGuard.Audit;

/// <summary>
/// The <c>audit</c> command's flags for System.CommandLine; the messages name the flag and what it accepts. One instance
/// per command built: options carry their validators and parents, so they are never shared between commands (audits
/// run in parallel in one process, in the tests).
/// </summary>
internal sealed class AuditCommandLine
{
    private readonly Option<List<string>> Files = new("--filename", "-f")
    {
        Description = "a file, a directory (read recursively: *.yaml, *.yml, *.json) or - for stdin; repeatable",
        HelpName = "path",
    };
    private readonly Option<string> Output = new("--output", "-o") { Description = "table (default), json, or policyreport", HelpName = "format" };
    private readonly Option<string> ReportApiOption = new("--report-api") { Description = "for -o policyreport: wgpolicyk8s.io/v1alpha2 (default) or openreports.io/v1alpha1", HelpName = "api" };
    private readonly Option<string> Namespace = new("--namespace", "-n") { Description = "namespace of objects that name none (default: default)", HelpName = "name" };
    private readonly Option<string> StorageClass = new("--storage-class") { Description = "audit as if this RWX-capable StorageClass existed", HelpName = "name" };
    private readonly Option<string> Mode = new("--mode") { Description = "Enforce (default), Warn or Audit", HelpName = "mode" };
    private readonly Option<string> Config = new("--config") { Description = "rwx-guard's settings file", HelpName = "file" };
    private readonly Option<string> Kubeconfig = new("--kubeconfig") { Description = "also resolve objects from this cluster", HelpName = "file" };
    private readonly Option<string> ClusterTimeout = new("--cluster-timeout") { Description = "how long to wait for the cluster to be read (default 30)", HelpName = "s" };

    /// <summary>The command, its flags and their checks.</summary>
    public Command Command { get; }

    public static AuditCommandLine Create() => new();

    private AuditCommandLine()
    {
        Command = new Command("audit", "Check Kubernetes manifests against rwx-guard's policies, offline (docs/audit.md)")
        {
            Files, Output, ReportApiOption, Namespace, StorageClass, Mode, Config, Kubeconfig, ClusterTimeout,
        };
        Files.Arity = ArgumentArity.OneOrMore;
        Output.Validators.Add(r => Check(r, v => FormatOf(v) is not null, v => $"--output: unknown format '{v}' (table, json or policyreport)"));
        ReportApiOption.Validators.Add(r => Check(r, v => ApiOf(v) is not null,
            v => $"--report-api: unknown API '{v}' (wgpolicyk8s.io/v1alpha2 or openreports.io/v1alpha1)"));
        Namespace.Validators.Add(r => Check(r, v => v.Length > 0, _ => "--namespace must not be empty"));
        ClusterTimeout.Validators.Add(r => Check(r, v => SecondsOf(v) is > 0, v => $"--cluster-timeout: '{v}' is not a positive number of seconds"));
        Command.Validators.Add(r =>
        {
            if (r.GetResult(Files) is null && r.GetResult(Kubeconfig) is null)
                r.AddError("no input: give manifests with -f <file|directory|-> (or --kubeconfig to audit a cluster)");
        });
    }

    public AuditArguments Read(ParseResult result) => AuditArguments.From(
        result.GetValue(Files) ?? [],
        FormatOf(result.GetValue(Output) ?? "table")!.Value,
        ApiOf(result.GetValue(ReportApiOption) ?? "wgpolicyk8s.io/v1alpha2")!,
        result.GetValue(Namespace) ?? "default",
        result.GetValue(StorageClass),
        result.GetValue(Mode),
        result.GetValue(Config),
        result.GetValue(Kubeconfig),
        SecondsOf(result.GetValue(ClusterTimeout) ?? "30")!.Value);

    private static void Check(OptionResult result, Func<string, bool> valid, Func<string, string> message)
    {
        var value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
        if (value is not null && !valid(value)) result.AddError(message(value));
    }

    private static AuditOutputFormat? FormatOf(string value) => value.ToLowerInvariant() switch
    {
        "table" => AuditOutputFormat.Table,
        "json" => AuditOutputFormat.Json,
        "policyreport" => AuditOutputFormat.PolicyReport,
        _ => null,
    };

    private static ReportApi? ApiOf(string value) => value switch
    {
        "wgpolicyk8s.io/v1alpha2" or "wgpolicyk8s.io" => ReportApi.PolicyReport,
        "openreports.io/v1alpha1" or "openreports.io" => ReportApi.OpenReports,
        _ => null,
    };

    private static double? SecondsOf(string value) =>
        double.TryParse(value.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
}
