using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using M = RwxGuard.Domain.AccessModes;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Policies;

/// <summary>
/// Rules anythingllm-sqlite and anythingllm-lancedb (issue 13 item 2): what AnythingLLM's source says it keeps on its
/// storage volume, decided by the container running AnythingLLM's image, and said with what to change.
/// </summary>
public sealed class AnythingLlmStoreTests
{
    private static readonly ReplicatedWorkloadPolicy Policy = new();
    private static readonly PolicyOptions Defaults = new();
    private const string Unseen = "(valueFrom)";

    private static WorkloadInfo AnythingLlm(string image, string? databaseUrl = null, string? vectorDb = null, bool envFrom = false,
        int? replicas = 2)
    {
        var env = new Dictionary<string, string?>();
        if (databaseUrl is not null) env[EnvironmentRead.DatabaseUrl] = databaseUrl == Unseen ? null : EnvironmentRead.Reduce(EnvironmentRead.DatabaseUrl, databaseUrl);
        if (vectorDb is not null) env[EnvironmentRead.VectorDb] = vectorDb == Unseen ? null : vectorDb;
        return Workload("anythingllm", replicas) with
        {
            Template = new PodTemplateInfo
            {
                ClaimNames = ["storage"],
                Containers = [new ContainerInfo { Image = image, Env = env, HasEnvFrom = envFrom }],
            },
        };
    }

    private static readonly FakeClusterView Rwx = new FakeClusterView().Add(Claim("storage", M.ReadWriteMany));

    public static TheoryData<string, string, string?, string?, bool, string[], string[]> Cases => new()
    {
        // case, image, DATABASE_URL, VECTOR_DB, envFrom, rules, fragments the messages must contain
        { "main image, nothing set", "mintplexlabs/anythingllm:1.16.0", null, null, false,
            [Rules.AnythingLlmSqlite, Rules.AnythingLlmLanceDb],
            ["Prisma datasource is the literal file:../storage/anythingllm.db", "VECTOR_DB is not set, so AnythingLLM uses LanceDB"] },
        // What today's rule got wrong: a PostgreSQL URL on the main image does not move the database.
        { "main image with a postgresql:// DATABASE_URL", "mintplexlabs/anythingllm:1.16.0", "postgresql://u:p@db:5432/llm", "pgvector", false,
            [Rules.AnythingLlmSqlite], ["(it does not read DATABASE_URL)", "Fix: run mintplexlabs/anythingllm:pg with DATABASE_URL"] },
        { "pg image, postgresql://, pgvector", "mintplexlabs/anythingllm:pg", "postgresql://u:p@db:5432/llm", "pgvector", false, [], [] },
        { "pg release tag, postgres://, qdrant", "ghcr.io/mintplex-labs/anything-llm:pg-1.9.1", "postgres://db/llm", "qdrant", false, [], [] },
        { "pg image, file: URL", "mintplexlabs/anythingllm:pg", "file:../storage/anythingllm.db", "chroma", false,
            [Rules.AnythingLlmSqlite], ["DATABASE_URL is file: here, and that image accepts only a postgresql:// (or postgres://) URL"] },
        { "pg image, no DATABASE_URL", "mintplexlabs/anythingllm:pg", null, "pinecone", false,
            [Rules.AnythingLlmSqlite], ["runs the pg image mintplexlabs/anythingllm:pg, whose database is PostgreSQL at DATABASE_URL: DATABASE_URL is not set."] },
        { "pg image, values from a Secret", "mintplexlabs/anythingllm:pg", Unseen, Unseen, false,
            [Rules.AnythingLlmSqlite, Rules.AnythingLlmLanceDb],
            ["cannot confirm the database is off the shared volume; fine if that key holds a postgresql:// URL", "unless that key names an external vector database"] },
        { "pg image, everything through envFrom", "mintplexlabs/anythingllm:pg", null, null, true,
            [Rules.AnythingLlmSqlite, Rules.AnythingLlmLanceDb],
            ["fine if DATABASE_URL is set through envFrom to a postgresql:// URL", "unless VECTOR_DB is set through envFrom to an external vector database"] },
        // env wins over envFrom in Kubernetes: a value in env is the value.
        { "envFrom, but VECTOR_DB in env", "mintplexlabs/anythingllm:pg", "postgresql://db/llm", "weaviate", true, [], [] },
        { "VECTOR_DB=lancedb said outright", "mintplexlabs/anythingllm:pg", "postgresql://db/llm", "lancedb", false,
            [Rules.AnythingLlmLanceDb], ["VECTOR_DB=lancedb keeps its tables under STORAGE_DIR/lancedb", "commit conflicts"] },
        { "VECTOR_DB empty is the default", "mintplexlabs/anythingllm:pg", "postgresql://db/llm", "", false, [Rules.AnythingLlmLanceDb], [] },
        { "main image, external vectors", "mintplexlabs/anythingllm:latest", null, "milvus", false, [Rules.AnythingLlmSqlite], [] },
        // A digest alone does not say which variant it is: not taken as pg.
        { "pinned by digest only", "mintplexlabs/anythingllm@sha256:0d7a4e1c", "postgresql://db/llm", "pgvector", false, [Rules.AnythingLlmSqlite], [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_server_containers_image_and_environment_decide(string @case, string image, string? databaseUrl, string? vectorDb,
        bool envFrom, string[] rules, string[] fragments)
    {
        var findings = Policy.EvaluateWorkload(AnythingLlm(image, databaseUrl, vectorDb, envFrom), null, Rwx, Defaults).Findings;

        Assert.True(rules.SequenceEqual(findings.Select(f => f.Rule)), $"{@case}: {string.Join(", ", findings.Select(f => f.Rule))}");
        var text = string.Join("\n", findings.Select(f => f.Message));
        foreach (var fragment in fragments) Assert.Contains(fragment, text);
        foreach (var finding in findings)
        {
            Assert.Equal(FindingKind.Warning, finding.Kind);
            Assert.True(finding.Warning.Length <= Text.MaxWarningLength, finding.Warning);
            Assert.DoesNotContain("…", finding.Warning); // said whole, fix included
            Assert.Contains("Fix: ", finding.Message);
        }
    }

    [Fact]
    public void Warnings_say_which_store_and_what_to_change()
    {
        var findings = Policy.EvaluateWorkload(AnythingLlm("mintplexlabs/anythingllm:1.16.0"), null, Rwx, Defaults).Findings;

        Assert.Equal("rwx-guard: Deployment ai/anythingllm: 2 replicas share SQLite; use image :pg + postgresql:// DATABASE_URL",
            findings[0].Warning);
        Assert.Equal("rwx-guard: Deployment ai/anythingllm: 2 replicas share LanceDB (VECTOR_DB unset); set an external VECTOR_DB",
            findings[1].Warning);
    }

    [Fact]
    public void Only_the_container_running_AnythingLLM_decides()
    {
        // A sidecar that sets a PostgreSQL URL and an external vector database does not change what the server uses.
        var workload = AnythingLlm("mintplexlabs/anythingllm:1.16.0");
        workload = workload with
        {
            Template = workload.Template with
            {
                Containers =
                [
                    new ContainerInfo { Image = "busybox:1.36", Init = true, Env = new Dictionary<string, string?> { [EnvironmentRead.VectorDb] = "pgvector" } },
                    new ContainerInfo { Image = "mintplexlabs/anythingllm:1.16.0" },
                    new ContainerInfo { Image = "prom/statsd-exporter:v0.27", Env = new Dictionary<string, string?> { [EnvironmentRead.DatabaseUrl] = "postgresql:", [EnvironmentRead.VectorDb] = "pgvector" } },
                ],
            },
        };

        Assert.Equal([Rules.AnythingLlmSqlite, Rules.AnythingLlmLanceDb],
            Policy.EvaluateWorkload(workload, null, Rwx, Defaults).Findings.Select(f => f.Rule));
    }

    [Fact]
    public void An_init_container_or_sidecar_running_the_SQLite_image_does_not_make_a_safe_server_unsafe()
    {
        // The other way round: the server is :pg on PostgreSQL with external vectors (nothing on the volume), while an
        // init container (a migration step, say) runs the main image, which would keep SQLite and LanceDB there.
        var workload = AnythingLlm("mintplexlabs/anythingllm:pg", "postgresql://db/llm", "pgvector");
        workload = workload with
        {
            Template = workload.Template with
            {
                Containers =
                [
                    workload.Template.Containers[0],
                    new ContainerInfo { Image = "mintplexlabs/anythingllm:latest", Init = true },
                ],
            },
        };

        Assert.Empty(Policy.EvaluateWorkload(workload, null, Rwx, Defaults).Findings);
        // The same init container's image as the server's is what the rules would judge: SQLite and LanceDB.
        var initAsServer = workload with { Template = workload.Template with { Containers = [workload.Template.Containers[1] with { Init = false }] } };
        Assert.Equal([Rules.AnythingLlmSqlite, Rules.AnythingLlmLanceDb],
            Policy.EvaluateWorkload(initAsServer, null, Rwx, Defaults).Findings.Select(f => f.Rule));
    }

    [Fact]
    public void A_template_known_by_its_label_only_is_decided_by_its_first_container()
    {
        var workload = AnythingLlm("registry.example/acme/chat:2.0", "postgresql://db/llm", "pgvector");
        workload = workload with
        {
            Template = workload.Template with { Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" } },
        };

        // Not the pg image (by name): SQLite; the vectors are external.
        Assert.Equal([Rules.AnythingLlmSqlite], Policy.EvaluateWorkload(workload, null, Rwx, Defaults).Findings.Select(f => f.Rule));
    }

    [Fact]
    public void One_pod_a_single_attach_claim_or_not_AnythingLLM_says_nothing_about_the_stores()
    {
        Assert.Empty(Policy.EvaluateWorkload(AnythingLlm("mintplexlabs/anythingllm:1.16.0", replicas: 1), null, Rwx, Defaults).Findings);
        var rwo = new FakeClusterView().Add(Claim("storage", M.ReadWriteOnce));
        Assert.Equal([Rules.ReplicatedSingleAttach],
            Policy.EvaluateWorkload(AnythingLlm("mintplexlabs/anythingllm:1.16.0"), null, rwo, Defaults).Findings.Select(f => f.Rule));
        Assert.Empty(Policy.EvaluateWorkload(AnythingLlm("nginx:1.27"), null, Rwx, Defaults).Findings);
    }

    [Fact]
    public void Each_rule_has_its_own_setting()
    {
        var workload = AnythingLlm("mintplexlabs/anythingllm:1.16.0");

        var deny = Policy.EvaluateWorkload(workload, null, Rwx, new PolicyOptions { AnythingLlmLanceDb = RuleAction.Deny }).Findings;
        Assert.Equal([(Rules.AnythingLlmSqlite, FindingKind.Warning), (Rules.AnythingLlmLanceDb, FindingKind.Violation)],
            deny.Select(f => (f.Rule, f.Kind)));
        Assert.Equal([Rules.AnythingLlmLanceDb],
            Policy.EvaluateWorkload(workload, null, Rwx, new PolicyOptions { AnythingLlmSqlite = RuleAction.Ignore }).Findings.Select(f => f.Rule));
    }

    [Fact]
    public void A_DaemonSet_running_AnythingLLM_on_RWX_gets_the_store_warnings()
    {
        var daemonSet = AnythingLlm("mintplexlabs/anythingllm:1.16.0") with { Kind = WorkloadKind.DaemonSet, Replicas = null, Strategy = null };

        var findings = Policy.EvaluateWorkload(daemonSet, null, Rwx, Defaults).Findings;

        Assert.Equal([Rules.AnythingLlmSqlite, Rules.AnythingLlmLanceDb], findings.Select(f => f.Rule));
        Assert.Contains("DaemonSet ai/anythingllm runs one pod per node on shared claim", findings[0].Message);
        Assert.Contains("or run it as a one-replica Deployment", findings[0].Message);
        Assert.Contains("1 pod per node share SQLite", findings[0].Warning);
    }

    [Theory]
    [InlineData("mintplexlabs/anythingllm:pg", true)]
    [InlineData("mintplexlabs/anythingllm:pg-1.9.1", true)]
    [InlineData("docker.io/mintplexlabs/anythingllm:pg@sha256:0d7a4e1c", true)]
    [InlineData("mintplexlabs/anythingllm:1.16.0", false)]
    [InlineData("mintplexlabs/anythingllm:render", false)]
    [InlineData("mintplexlabs/anythingllm:pgvector", false)]
    [InlineData("mintplexlabs/anythingllm", false)]
    [InlineData("registry.local:5000/anythingllm", false)]
    public void The_pg_variant_is_its_tag(string image, bool pg) => Assert.Equal(pg, global::RwxGuard.Policies.AnythingLlm.IsPgImage(image));
}
