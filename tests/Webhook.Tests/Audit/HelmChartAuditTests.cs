using RwxGuard.Audit;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Deploy;

namespace RwxGuard.Tests.Audit;

/// <summary>
/// The README's CI recipe on the real AnythingLLM chart (Fixtures/charts/anythingllm, MIT, provenance in
/// Fixtures/SOURCES.md): `helm template … --set replicaCount=2 | webhook audit -f -` with the pinned Helm and the built
/// binary.
/// </summary>
public sealed class HelmChartAuditTests
{
    private static string Chart => Path.Combine(Fixtures.Dir, "charts", "anythingllm");

    private static async Task<string> TemplateAsync(params string[] values) =>
        (await Helm.RunCheckedAsync(["template", "anythingllm", Chart, .. Helm.SetArgs(values)])).StdOut;

    [Fact]
    public async Task Two_replicas_on_the_charts_ReadWriteOnce_claim_is_a_violation()
    {
        var run = await Cli.RunBinaryWithStdinAsync(await TemplateAsync("replicaCount=2"), "audit", "-f", "-", "-o", "json");
        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anythingllm"));
        Assert.Equal("fail", (string?)verdict["result"]);
        Assert.Equal("replicated-single-attach", (string?)verdict["rule"]);
        Assert.Equal("claim anythingllm-storage-claim (RWO)", (string?)verdict["properties"]!["claims"]);
    }

    [Fact]
    public async Task On_ReadWriteMany_with_an_RWX_class_it_passes_with_the_SQLite_and_LanceDB_warnings()
    {
        var rendered = await TemplateAsync("replicaCount=2", "persistentVolume.accessModes[0]=ReadWriteMany");
        foreach (var classes in new[] { new[] { "-f", Cli.StorageClasses("eks.json") }, ["--storage-class", "efs-sc"] })
        {
            var run = await Cli.RunBinaryWithStdinAsync(rendered, ["audit", "-f", "-", .. classes, "-o", "json"]);
            Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
            var deployment = run.For("Deployment", "anythingllm");
            Assert.All(deployment, d => Assert.Equal("warn", (string?)d["result"]));
            // Both stores AnythingLLM keeps under its storage directory: SQLite (the main image) and LanceDB, whose
            // VECTOR_DB the chart would take from its ConfigMap through envFrom, which admission cannot read.
            Assert.Equal(["anythingllm-lancedb", "anythingllm-sqlite"], deployment.Select(d => (string?)d["rule"]));
            Assert.Contains("unless VECTOR_DB is set through envFrom to an external vector database", (string?)deployment[0]["message"]);
            Assert.Contains("image mintplexlabs/anythingllm:1.16.0 is AnythingLLM's main image", (string?)deployment[1]["message"]);
            var claim = Assert.Single(run.For("PersistentVolumeClaim", "anythingllm-storage-claim"));
            Assert.Equal("pass", (string?)claim["result"]);
            Assert.Equal("efs-sc", (string?)claim["properties"]!["storageClass"]);
            Assert.DoesNotContain(run.Results, r => (string?)r["result"] == "fail");
        }
    }

    /// <summary>The values Fixtures/installs/official-chart-pg/rendered.yaml was rendered with (Fixtures/SOURCES.md).</summary>
    public static readonly string[] PgInstallValues =
    [
        "replicaCount=2", "image.tag=pg", "persistentVolume.accessModes[0]=ReadWriteMany",
        "env[0].name=DATABASE_URL", "env[0].valueFrom.secretKeyRef.name=anythingllm-database", "env[0].valueFrom.secretKeyRef.key=url",
        "env[1].name=VECTOR_DB", "env[1].value=pgvector",
    ];

    /// <summary>The stored pg-image install is what the real chart renders with those values, byte for byte: the fixture
    /// other tests read offline cannot drift from the chart.</summary>
    [Fact]
    public async Task The_stored_pg_install_is_what_the_chart_renders()
    {
        var rendered = (await Helm.RunCheckedAsync(["template", "anythingllm", Chart, "--namespace", "ai", .. Helm.SetArgs(PgInstallValues)])).StdOut;

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Fixtures.Dir, "installs", "official-chart-pg", "rendered.yaml"),
            TestContext.Current.CancellationToken), rendered);
        Assert.Contains("image: \"mintplexlabs/anythingllm:pg\"", rendered);
    }
}
