using System.Text.Json;
using RwxGuard.Audit;
using RwxGuard.Reporting;
using RwxGuard.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using RwxGuard.Evaluation;

namespace RwxGuard.Tests.Audit;

/// <summary>-o json and -o policyreport parse back, with counts that match their results and the CRDs' field names.</summary>
public sealed class AuditOutputTests
{
    private static string AllThree => Path.Combine(Fixtures.Dir, "anythingllm");

    // Field names of wgpolicyk8s.io/v1alpha2 PolicyReport (kubernetes-sigs/wg-policy-prototypes, as shipped by Kyverno)
    // and openreports.io/v1alpha1 Report (openreports/reports-api apis/openreports.io/v1alpha1/report_types.go).
    private static readonly string[] PolicyReportFields = ["apiVersion", "kind", "metadata", "results", "scope", "scopeSelector", "summary"];
    private static readonly string[] ReportFields = [.. PolicyReportFields, "source", "configuration"];
    private static readonly string[] ResultFields =
        ["category", "message", "policy", "properties", "resourceSelector", "resources", "result", "rule", "scored", "severity", "source", "timestamp"];
    private static readonly string[] ReferenceFields = ["apiVersion", "fieldPath", "kind", "name", "namespace", "resourceVersion", "uid"];
    private static readonly string[] Outcomes = ["pass", "fail", "warn", "error", "skip"];
    private static readonly string[] Severities = ["critical", "high", "low", "medium", "info"];

    [Fact]
    public async Task Json_parses_back_with_summary_counts_matching_the_results()
    {
        var run = await Cli.RunAsync("-f", AllThree, "-o", "json");

        using var document = JsonDocument.Parse(run.Stdout); // plain System.Text.Json, no rwx-guard types
        var root = document.RootElement;
        Assert.Equal(AuditCommand.ExitViolations, root.GetProperty("exitCode").GetInt32());
        Assert.Equal(run.ExitCode, root.GetProperty("exitCode").GetInt32());
        var results = root.GetProperty("results").EnumerateArray().ToList();
        var summary = root.GetProperty("summary");
        foreach (var outcome in Outcomes)
            Assert.Equal(results.Count(r => r.GetProperty("result").GetString() == outcome), summary.GetProperty(outcome).GetInt32());
        // Each chart: Deployment fail + claim warn (no class); the raw manifest: Deployment pass + claim warn.
        Assert.Equal((1, 2, 3, 0, 0), (summary.GetProperty("pass").GetInt32(), summary.GetProperty("fail").GetInt32(),
            summary.GetProperty("warn").GetInt32(), summary.GetProperty("error").GetInt32(), summary.GetProperty("skip").GetInt32()));
        foreach (var result in results)
        {
            foreach (var field in new[] { "namespace", "apiVersion", "kind", "name", "origin", "policy", "rule", "result", "severity", "category", "summary", "message" })
                Assert.False(string.IsNullOrEmpty(result.GetProperty(field).GetString()), field);
            Assert.Equal(JsonValueKind.Object, result.GetProperty("properties").ValueKind);
            Assert.True(result.GetProperty("summary").GetString()!.Length < 120);
        }
    }

    [Fact]
    public async Task Policyreport_yaml_parses_back_as_one_v1alpha2_PolicyReport_per_namespace()
    {
        var run = await Cli.RunAsync("-f", AllThree, "-o", "policyreport");
        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);

        var stream = new YamlStream();
        stream.Load(new StringReader(run.Stdout));
        var reports = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        Assert.Equal(["ai", "team-a", "{{ namespace }}"], reports.Select(r => Scalar(r, "metadata", "namespace")));

        var expectedSeconds = Cli.Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var report in reports)
        {
            Assert.Equal("wgpolicyk8s.io/v1alpha2", Scalar(report, "apiVersion"));
            Assert.Equal("PolicyReport", Scalar(report, "kind"));
            Assert.Equal("rwx-guard", Scalar(report, "metadata", "name"));
            Assert.Subset(PolicyReportFields.ToHashSet(), Keys(report));
            var results = ((YamlSequenceNode)report["results"]).Children.Cast<YamlMappingNode>().ToList();
            foreach (var outcome in Outcomes)
                Assert.Equal(results.Count(r => Scalar(r, "result") == outcome).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Scalar(report, "summary", outcome));
            foreach (var result in results)
            {
                Assert.Subset(ResultFields.ToHashSet(), Keys(result));
                Assert.Contains(Scalar(result, "result"), Outcomes);
                Assert.Contains(Scalar(result, "severity"), Severities);
                Assert.Equal(("rwx-guard", "rwx-guard"), (Scalar(result, "source"), Scalar(result, "policy")));
                Assert.Equal((expectedSeconds, "500000000"), (Scalar(result, "timestamp", "seconds"), Scalar(result, "timestamp", "nanos")));
                var resource = (YamlMappingNode)Assert.Single(((YamlSequenceNode)result["resources"]).Children);
                Assert.Subset(ReferenceFields.ToHashSet(), Keys(resource));
                Assert.Equal(Scalar(report, "metadata", "namespace"), Scalar(resource, "namespace"));
                // properties is a map of strings: numbers are quoted so that the API server's schema accepts them.
                foreach (var (_, value) in ((YamlMappingNode)result["properties"]).Children)
                {
                    var scalar = (YamlScalarNode)value;
                    if (int.TryParse(scalar.Value, out _)) Assert.NotEqual(ScalarStyle.Plain, scalar.Style);
                }
            }
        }

        var ai = reports[0];
        Assert.Equal(("0", "1", "1"), (Scalar(ai, "summary", "pass"), Scalar(ai, "summary", "fail"), Scalar(ai, "summary", "warn")));
        var fail = ((YamlSequenceNode)ai["results"]).Children.Cast<YamlMappingNode>().Single(r => Scalar(r, "result") == "fail");
        Assert.Equal(("replicated-single-attach", "high", "Deployment", "anythingllm"),
            (Scalar(fail, "rule"), Scalar(fail, "severity"), Scalar((YamlMappingNode)((YamlSequenceNode)fail["resources"])[0], "kind"),
                Scalar((YamlMappingNode)((YamlSequenceNode)fail["resources"])[0], "name")));
        Assert.Equal("claim anythingllm-storage-claim (RWO)", Scalar(fail, "properties", "claims"));
    }

    [Fact]
    public async Task Policyreport_yaml_deserializes_into_the_report_model()
    {
        var run = await Cli.RunAsync("-f", Cli.Anythingllm("official-helm-chart-rendered.yaml"), "-f", Cli.StorageClasses("eks.json"),
            "-o", "policyreport");

        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build(); // strict
        var parser = new Parser(new StringReader(run.Stdout));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        var report = deserializer.Deserialize<PolicyReport>(parser);
        Assert.False(parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _)); // one namespace, one report

        // The Deployment's two warnings (SQLite, LanceDB) and the claim's mutation.
        Assert.Equal(("ai", 1, 0, 2), (report.Metadata.Namespace, report.Summary.Pass, report.Summary.Fail, report.Summary.Warn));
        var mutation = Assert.Single(report.Results, r => r.Rule == "claim-rwx");
        Assert.Equal("pass", mutation.Result);
        Assert.Equal("PersistentVolumeClaim", Assert.Single(mutation.Resources).Kind);
        Assert.Contains("gp3 -> efs-sc", mutation.Properties!["mutation"]);
    }

    [Fact]
    public async Task Openreports_api_gives_Report_objects_with_a_source()
    {
        var run = await Cli.RunAsync("-f", AllThree, "-o", "policyreport", "--report-api", "openreports.io/v1alpha1");

        var stream = new YamlStream();
        stream.Load(new StringReader(run.Stdout));
        Assert.Equal(3, stream.Documents.Count);
        foreach (var report in stream.Documents.Select(d => (YamlMappingNode)d.RootNode))
        {
            Assert.Equal(("openreports.io/v1alpha1", "Report", "rwx-guard"), (Scalar(report, "apiVersion"), Scalar(report, "kind"), Scalar(report, "source")));
            Assert.Subset(ReportFields.ToHashSet(), Keys(report));
        }
    }

    [Fact]
    public void Builder_stamps_seconds_and_nanos_and_counts_only_its_namespace()
    {
        AuditResult Result(string ns, AuditOutcome outcome) => new()
        {
            Resource = new ResourceRef("apps/v1", "Deployment", ns, "web", "uid-1"),
            Rule = "replicated-single-attach",
            Result = outcome,
            Severity = AuditSeverity.High,
            Category = PolicyAudit.SingleAttachCategory,
            Message = "m",
            Summary = "s",
        };
        AuditResult[] results = [Result("a", AuditOutcome.Fail), Result("a", AuditOutcome.Pass), Result("b", AuditOutcome.Warn)];

        var before = PolicyReportBuilder.Build(results, new DateTimeOffset(1969, 12, 31, 23, 59, 59, 250, TimeSpan.Zero), ReportApi.PolicyReport)[0];
        Assert.Equal((-1, 250_000_000), (before.Results[0].Timestamp.Seconds, before.Results[0].Timestamp.Nanos));
        Assert.Equal((1, 1, 0), (before.Summary.Pass, before.Summary.Fail, before.Summary.Warn));
        Assert.Equal("uid-1", before.Results[0].Resources[0].Uid);
        Assert.Null(before.Source);

        var all = PolicyReportBuilder.Build(results, Cli.Now, ReportApi.OpenReports);
        Assert.Equal(["a", "b"], all.Select(r => r.Metadata.Namespace));
        Assert.Equal(("rwx-guard", 1), (all[1].Source, all[1].Summary.Warn));

        var json = JsonDocument.Parse(ReportJson.Serialize(all[1])).RootElement;
        Assert.Equal("openreports.io/v1alpha1", json.GetProperty("apiVersion").GetString());
        Assert.Equal(Cli.Now.ToUnixTimeSeconds(), json.GetProperty("results")[0].GetProperty("timestamp").GetProperty("seconds").GetInt64());
        Assert.False(json.GetProperty("results")[0].TryGetProperty("properties", out _)); // empty and null members are left out
    }

    private static string? Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path) current = ((YamlMappingNode)current)[key];
        return ((YamlScalarNode)current).Value;
    }

    private static HashSet<string> Keys(YamlMappingNode node) => node.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
}
