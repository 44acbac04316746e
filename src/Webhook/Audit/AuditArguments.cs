using RwxGuard.Reporting;

namespace RwxGuard.Audit;

public enum AuditOutputFormat
{
    Table,
    Json,
    PolicyReport,
}

/// <summary>The flags of <c>webhook audit</c>, parsed kubectl-style (<c>-f x</c>, <c>-f=x</c>, <c>--output json</c>).</summary>
internal sealed class AuditArguments
{
    public List<string> Files { get; } = [];
    public AuditOutputFormat Output { get; private set; } = AuditOutputFormat.Table;
    public ReportApi ReportApi { get; private set; } = ReportApi.PolicyReport;
    public string Namespace { get; private set; } = "default";
    public string? StorageClass { get; private set; }
    public string? Mode { get; private set; }
    public string? Config { get; private set; }
    public string? Kubeconfig { get; private set; }
    public double ClusterTimeoutSeconds { get; private set; } = 30;
    public bool Help { get; private set; }

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
        var parsed = new AuditArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string flag = arg, inline = "";
            var hasInline = false;
            var equals = arg.IndexOf('=');
            if (arg.StartsWith('-') && arg != "-" && equals > 0)
            {
                flag = arg[..equals];
                inline = arg[(equals + 1)..];
                hasInline = true;
            }

            string Value()
            {
                if (hasInline) return inline;
                if (i + 1 >= args.Count) throw new AuditUsageException($"flag {flag} needs a value");
                return args[++i];
            }

            switch (flag)
            {
                case "-h" or "--help":
                    parsed.Help = true;
                    break;
                case "-f" or "--filename":
                    parsed.Files.Add(Value());
                    break;
                case "-o" or "--output":
                    var output = Value();
                    parsed.Output = output.ToLowerInvariant() switch
                    {
                        "table" => AuditOutputFormat.Table,
                        "json" => AuditOutputFormat.Json,
                        "policyreport" => AuditOutputFormat.PolicyReport,
                        _ => throw new AuditUsageException($"--output: unknown format '{output}' (table, json or policyreport)"),
                    };
                    break;
                case "--report-api":
                    var api = Value();
                    parsed.ReportApi = api switch
                    {
                        "wgpolicyk8s.io/v1alpha2" or "wgpolicyk8s.io" => ReportApi.PolicyReport,
                        "openreports.io/v1alpha1" or "openreports.io" => ReportApi.OpenReports,
                        _ => throw new AuditUsageException(
                            $"--report-api: unknown API '{api}' (wgpolicyk8s.io/v1alpha2 or openreports.io/v1alpha1)"),
                    };
                    break;
                case "-n" or "--namespace":
                    parsed.Namespace = Value();
                    if (parsed.Namespace.Length == 0) throw new AuditUsageException("--namespace must not be empty");
                    break;
                case "--storage-class":
                    parsed.StorageClass = Value();
                    break;
                case "--mode":
                    parsed.Mode = Value();
                    break;
                case "--config":
                    parsed.Config = Value();
                    break;
                case "--kubeconfig":
                    parsed.Kubeconfig = Value();
                    break;
                case "--cluster-timeout":
                    var timeout = Value();
                    if (!double.TryParse(timeout.TrimEnd('s'), System.Globalization.NumberStyles.Float,
                            System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                        throw new AuditUsageException($"--cluster-timeout: '{timeout}' is not a positive number of seconds");
                    parsed.ClusterTimeoutSeconds = seconds;
                    break;
                default:
                    throw new AuditUsageException(arg.StartsWith('-') && arg != "-"
                        ? $"unknown flag {flag}"
                        : $"unexpected argument '{arg}' (inputs are given with -f)");
            }
        }
        if (!parsed.Help && parsed.Files.Count == 0 && parsed.Kubeconfig is null)
            throw new AuditUsageException("no input: give manifests with -f <file|directory|-> (or --kubeconfig to audit a cluster)");
        return parsed;
    }
}

/// <summary>A bad flag: exit code 2 with the message and a pointer to --help.</summary>
internal sealed class AuditUsageException(string message) : Exception(message);
