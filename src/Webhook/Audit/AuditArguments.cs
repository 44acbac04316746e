using RwxGuard.Reporting;

namespace RwxGuard.Audit;

public enum AuditOutputFormat
{
    Table,
    Json,
    PolicyReport,
}

/// <summary>The flags of <c>webhook audit</c> (parsed by <see cref="AuditCommandLine"/>: <c>-f x</c>, <c>-f=x</c>, <c>--output json</c>).</summary>
internal sealed class AuditArguments
{
    public List<string> Files { get; } = [];
    public AuditOutputFormat Output { get; private init; } = AuditOutputFormat.Table;
    public ReportApi ReportApi { get; private init; } = ReportApi.PolicyReport;
    public string Namespace { get; private init; } = "default";
    public string? StorageClass { get; private init; }
    public string? Mode { get; private init; }
    public string? Config { get; private init; }
    public string? Kubeconfig { get; private init; }
    public double ClusterTimeoutSeconds { get; private init; } = 30;
    public bool Help { get; private init; }

    public const string Usage = """
        Usage: webhook audit -f <file|directory|-> [-f ...] [flags]

        Checks Kubernetes manifests against rwx-guard's policies without a cluster: the same decisions as the
        webhook, with claims and StorageClasses resolved from the manifests themselves. Claims are checked as the
        mutating webhook would create them. Typical use in CI:

          helm template anythingllm ./chart --set replicaCount=2 | webhook audit -f -

        Flags:
          -f, --filename <path>       a file, a directory (read recursively: *.yaml, *.yml, *.json) or - for stdin;
                                      repeatable. YAML or JSON, several documents, List kinds, AdmissionReviews.
          -o, --output <format>       table (default), json, or policyreport (YAML, one report per namespace)
              --report-api <api>      for -o policyreport: wgpolicyk8s.io/v1alpha2 (default) or openreports.io/v1alpha1
          -n, --namespace <name>      namespace of objects that name none (default: default)
              --storage-class <name>  audit as if StorageClass <name> existed and were RWX-capable
                                      (sets Mutation:StorageClass)
              --mode <mode>           Enforce (default), Warn or Audit (overrides Policy:Mode)
              --config <file>         rwx-guard's settings file (the server's): its Policy and Mutation sections apply
              --kubeconfig <file>     also resolve claims, workloads, autoscalers and StorageClasses from this cluster
                                      (read-only; objects in the manifests win, except existing claims). With no -f,
                                      audit everything in the cluster.
              --cluster-timeout <s>   how long to wait for the cluster to be read (default 30)
          -h, --help                  this text

        Exit codes:
          0  nothing would be denied (warnings, or violations in Warn/Audit mode, do not count)
          1  at least one violation (result fail) that the webhook would deny in Enforce mode
          2  unusable input (unreadable file, invalid YAML: the message names file:line:column), a bad flag or
             setting, or a cluster that cannot be read
        """;

    /// <summary>Parses the flags; throws <see cref="AuditUsageException"/> naming the bad one.</summary>
    public static AuditArguments Parse(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "-h" or "--help" or "-?")) return new AuditArguments { Help = true };
        var audit = AuditCommandLine.Create();
        var result = audit.Command.Parse(args);
        if (result.Errors.Count > 0) throw new AuditUsageException(result.Errors[0].Message);
        return audit.Read(result);
    }

    internal static AuditArguments From(IReadOnlyList<string> files, AuditOutputFormat output, ReportApi reportApi, string ns,
        string? storageClass, string? mode, string? config, string? kubeconfig, double clusterTimeoutSeconds)
    {
        var parsed = new AuditArguments
        {
            Output = output,
            ReportApi = reportApi,
            Namespace = ns,
            StorageClass = storageClass,
            Mode = mode,
            Config = config,
            Kubeconfig = kubeconfig,
            ClusterTimeoutSeconds = clusterTimeoutSeconds,
        };
        parsed.Files.AddRange(files);
        return parsed;
    }
}

/// <summary>A bad flag: exit code 2 with the message and a pointer to --help.</summary>
internal sealed class AuditUsageException(string message) : Exception(message);
