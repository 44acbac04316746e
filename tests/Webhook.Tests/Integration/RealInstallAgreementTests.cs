using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using RwxGuard.Cluster;
using RwxGuard.Evaluation;
using RwxGuard.Policies;
using RwxGuard.Reporting;
using RwxGuard.Tests.Audit;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Mutation;

namespace RwxGuard.Tests.Integration;

/// <summary>
/// Real installs (Fixtures/installs and Fixtures/anythingllm, provenance in Fixtures/SOURCES.md) through the three ways
/// rwx-guard sees them, with the same answer (issue 13, "Done when"):
/// <list type="number">
/// <item><c>webhook audit</c> over the install's directory;</item>
/// <item>the real server over HTTPS with <c>--cluster-manifests</c> on that directory: every claim as a CREATE through
/// <c>/mutate</c>, after the API server's DefaultStorageClass plugin (emulated here: it runs before webhooks);</item>
/// <item>the real server with <c>--cluster-manifests</c> on the install as the cluster would then hold it (each claim as
/// <c>/mutate</c> patched it): every workload as a CREATE through <c>/validate</c>;</item>
/// <item>the reporter's PolicyReports over that same cluster state (its evaluation and report builder): every result about
/// a workload is the audit's, field for field.</item>
/// </list>
/// Per object: the same rules, the same enforcement mode, the full text of every violation (the denial) and the
/// one-line text of every warning; for claims, the same change (the rwx-guard.io/mutated record). The claim CREATE check
/// of Policy 1 is left out on purpose: the audit reports a workload's violation once, on the workload.
/// </summary>
public sealed class RealInstallAgreementTests
{
    /// <summary>The official :pg chart's DATABASE_URL (a secretKeyRef) as an empty literal.</summary>
    private const string PgDatabaseUrlFromSecret = """
                      valueFrom:
                        secretKeyRef:
                          key: url
                          name: anythingllm-database
        """;

    private const string InitContainerCase = "Ka0s with the server on :pg and the SQLite image in its init container, scaled to 2 on NFS";
    private const string EmptyDatabaseUrlCase = "official chart, pg image, DATABASE_URL empty, on EKS";

    /// <summary>What the edited installs are about, in the audit's own words: each case proves its premise.</summary>
    private static readonly Dictionary<string, string> Says = new()
    {
        [InitContainerCase] = "image :pg without DATABASE_URL", // the server's store, not the init container's SQLite
        [EmptyDatabaseUrlCase] = "image :pg needs a postgresql:// DATABASE_URL, not (no scheme)",
    };

    /// <summary>What the audit must find (kind, name, rule, result) in the cases that are about a violation, so that the
    /// four paths cannot agree by all missing it; "!" before a rule: it must not be there.</summary>
    private static readonly Dictionary<string, string[]> Finds = new()
    {
        ["n8n hosting: main and two workers on one RWO claim"] =
            ["Deployment n8n-worker replicated-single-attach fail", "Deployment n8n shared-single-attach warn", "Deployment n8n-worker shared-single-attach warn"],
        ["n8n hosting with one worker: shared, not replicated"] =
            ["Deployment n8n shared-single-attach warn", "Deployment n8n-worker shared-single-attach warn", "!Deployment n8n-worker replicated-single-attach fail"],
        ["OpenShift example scaled to 2, no RWX class"] = ["Deployment anythingllm replicated-single-attach fail"],
    };

    public static TheoryData<string, string, string?, string[]> Installs => new()
    {
        // case, install (under Fixtures), StorageClass list (Fixtures/storageclasses), edits (text, replacement, ...)
        { "n8n hosting: main and two workers on one RWO claim", "installs/n8n-hosting", null, [] },
        { "n8n hosting with one worker: shared, not replicated", "installs/n8n-hosting", null, ["replicas: 2", "replicas: 1"] },
        { "OpenShift example (anythingllm-storage) on EKS", "installs/openshift-readme", "eks.json", [] },
        { "OpenShift example scaled to 2, no RWX class", "installs/openshift-readme", "no-rwx.json", ["replicas: 1", "replicas: 2"] },
        { "Ka0s (anythingllm-pvc, VECTOR_DB=pgvector) scaled to 2 on NFS", "installs/ka0s-anythingllm", "onprem.json", ["replicas: 1", "replicas: 2"] },
        // The server runs :pg (no SQLite), its init container the main image (SQLite): only the server's store counts, as
        // an init container has exited before the server starts.
        { InitContainerCase, "installs/ka0s-anythingllm",
            "onprem.json", ["replicas: 1", "replicas: 2", "image: mintplexlabs/anythingllm:latest", "image: mintplexlabs/anythingllm:pg",
                            "image: busybox:1.36", "image: mintplexlabs/anythingllm:latest"] },
        { "official chart, pg image, on EKS", "installs/official-chart-pg", "eks.json", [] },
        // An empty literal is "not a postgresql:// URL", not "set from somewhere rwx-guard cannot see".
        { EmptyDatabaseUrlCase, "installs/official-chart-pg", "eks.json",
            [PgDatabaseUrlFromSecret, "              value: \"\""] },
        { "official chart (label anythingllm), on EKS", "anythingllm/official-helm-chart-rendered.yaml", "eks.json", [] },
        { "community chart (label anything-llm), no class", "anythingllm/community-chart-rendered.yaml", null, [] },
        { "official raw manifest (anything-llm-volume-claim), on AKS", "anythingllm/official-raw-manifest.yaml", "aks.json", [] },
    };

    [Theory]
    [MemberData(nameof(Installs))]
    public async Task Validate_mutate_reporter_and_audit_give_the_same_answer(string @case, string install, string? classes, string[] edits)
    {
        using var input = new Deploy.TempDir("install");
        var files = Copy(Path.Combine(Fixtures.Dir, install), input.FullName, edits);
        if (classes is not null) File.Copy(Cli.StorageClasses(classes), Path.Combine(input.FullName, classes));
        var all = files.SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f))).ToList();
        var objects = all.OfType<IKubernetesObject<V1ObjectMeta>>().ToList();
        foreach (var o in objects.Where(o => o is not V1StorageClass && o.Metadata.NamespaceProperty is null))
            o.Metadata.NamespaceProperty = "default"; // where kubectl apply, webhook audit and --cluster-manifests put them
        var defaultClass = (classes is null ? [] : KubernetesJson.Deserialize<V1StorageClassList>(File.ReadAllText(Cli.StorageClasses(classes))).Items)
            .Where(c => c.Metadata.Annotations is { } a && a.TryGetValue("storageclass.kubernetes.io/is-default-class", out var d) && d == "true")
            .Select(c => c.Metadata.Name).Order(StringComparer.Ordinal).FirstOrDefault();

        // 1. webhook audit
        var audit = await Cli.RunAsync("-f", input.FullName, "-o", "json");
        Assert.True(audit.ExitCode is 0 or 1, audit.ToString());
        foreach (var expected in Finds.GetValueOrDefault(@case) ?? [])
        {
            var (absent, parts) = (expected.StartsWith('!'), expected.TrimStart('!').Split(' '));
            var found = audit.For(parts[0], parts[1]).Any(r => (string?)r["rule"] == parts[2] && (string?)r["result"] == parts[3]);
            Assert.True(found != absent, $"{@case}: {expected} ({audit})");
        }
        if (Says.TryGetValue(@case, out var premise))
            Assert.Contains(objects.OfType<V1Deployment>().SelectMany(d => audit.For("Deployment", d.Metadata.Name)),
                r => ((string?)r["summary"])?.Contains(premise, StringComparison.Ordinal) == true);

        // 2. /mutate, the install as the view
        var admitted = new List<IKubernetesObject<V1ObjectMeta>>();
        var compared = 0;
        await using (var webhook = await StartAsync(input.FullName))
        {
            foreach (var claim in objects.OfType<V1PersistentVolumeClaim>())
            {
                // The DefaultStorageClass admission plugin runs before webhooks: a claim naming no class gets the default.
                if (claim.Spec.StorageClassName is null && defaultClass is not null) claim.Spec.StorageClassName = defaultClass;
                var review = Manifests.CreateReview(claim, "", "v1", "persistentvolumeclaims");
                var (_, body) = await webhook.Client.PostAsync("/mutate", review);
                var response = body["response"]!;
                var stored = response["patch"] is { } patch
                    ? KubernetesJson.Deserialize<V1PersistentVolumeClaim>(ClaimJson.ApplyToJson(review["request"]!["object"]!.AsObject(), patch.GetValue<string>()).ToJsonString())
                    : claim;
                admitted.Add(stored);
                var results = audit.For("PersistentVolumeClaim", claim.Metadata.Name)
                    .Where(r => (string?)r["category"] == RwxGuard.Evaluation.PolicyAudit.ClaimCategory).ToList();
                Agree(@case, $"PersistentVolumeClaim {claim.Metadata.Name}", results, response, mutation: stored);
                compared++;
            }
        }

        // 3. /validate, the install as the cluster now holds it
        using var cluster = new Deploy.TempDir("cluster");
        var stateFile = Path.Combine(cluster.FullName, "cluster.yaml");
        File.WriteAllText(stateFile, KubernetesYaml.SerializeAll(admitted.Concat(all.Where(o => o is not V1PersistentVolumeClaim))));
        await using (var webhook = await StartAsync(cluster.FullName))
        {
            foreach (var workload in objects.Where(o => o is V1Deployment or V1StatefulSet or V1ReplicaSet or V1DaemonSet))
            {
                var resource = workload.Kind.ToLowerInvariant() + "s";
                var (_, body) = await webhook.Client.PostAsync("/validate", Manifests.CreateReview(workload, "apps", "v1", resource));
                Agree(@case, $"{workload.Kind} {workload.Metadata.Name}", audit.For(workload.Kind, workload.Metadata.Name),
                    body["response"]!, mutation: null);
                compared++;
            }
        }

        // 4. the reporter, over the same cluster state
        // The reporter's own way: one namespace at a time, then its report builder.
        var clusterView = ManifestViewLoader.Load(stateFile);
        var reported = AuditSubjects.ExistingByNamespace(clusterView)
            .SelectMany(subjects => PolicyReportBuilder.Build(PolicyAudit.Evaluate(clusterView, subjects, new PolicyOptions(), new MutationOptions()),
                DateTimeOffset.UtcNow, ReportApi.PolicyReport))
            .SelectMany(r => r.Results).ToList();
        foreach (var workload in objects.Where(o => o is V1Deployment or V1StatefulSet or V1ReplicaSet or V1DaemonSet))
        {
            var fromReports = reported.Where(r => r.Resources.Single() is { } o && o.Kind == workload.Kind && o.Name == workload.Metadata.Name)
                .Select(r => (r.Rule, r.Result, r.Message, Mode: r.Properties?.GetValueOrDefault("mode")))
                .Order().ToList();
            var fromAudit = audit.For(workload.Kind, workload.Metadata.Name)
                .Select(r => ((string?)r["rule"], (string)r["result"]!, (string?)r["message"], Mode: (string?)r["properties"]?["mode"]))
                .Order().ToList();
            Assert.True(fromAudit.Count > 0, $"{@case}: the audit says nothing about {workload.Kind} {workload.Metadata.Name}");
            Assert.Equal(fromAudit, fromReports);
            compared++;
        }
        Assert.True(compared >= 3, $"{@case}: only {compared} objects compared");
    }

    private static Task<RunningWebhook> StartAsync(string manifests) =>
        RunningWebhook.StartAsync(["--cluster-manifests", manifests], new Dictionary<string, string?> { ["Cluster:Connection"] = "Auto" });

    /// <summary>The audit's results about one object against the webhook's response about it.</summary>
    private static void Agree(string @case, string what, IReadOnlyList<JsonObject> results, JsonNode response, V1PersistentVolumeClaim? mutation)
    {
        var context = $"{@case}, {what}";
        // Every result but the passes the audit adds when there was nothing to say comes from a finding.
        var said = results.Where(r => (string?)r["result"] != "pass"
                                      || (string?)r["rule"] == "claim-left-alone"
                                      || (string?)r["rule"] == "claim-rwx" && r["properties"]!["mutation"] is not null).ToList();
        var annotations = response["auditAnnotations"];
        var admissionRules = ((string?)annotations?["rules"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        Assert.True(said.Select(r => (string)r["rule"]!).Distinct().Order(StringComparer.Ordinal).SequenceEqual(admissionRules),
            $"{context}: audit {string.Join(",", said.Select(r => r["rule"]))} vs admission {annotations?["rules"]}");
        if (said.Count == 0)
        {
            Assert.True(response["allowed"]!.GetValue<bool>(), context);
            Assert.Null(response["warnings"]);
            return;
        }
        foreach (var result in said) Assert.Equal((string?)annotations!["mode"], (string?)result["properties"]!["mode"]);

        // Violations: the denial's text is the audit's full messages (enforce mode, so they are not warnings too).
        var failures = said.Where(r => (string?)r["result"] == "fail").ToList();
        Assert.True(failures.Count == 0 == response["allowed"]!.GetValue<bool>(), $"{context}: allowed vs {failures.Count} failures");
        if (failures.Count > 0)
            Assert.Equal(string.Join(" ", failures.Select(f => (string)f["message"]!).Distinct()), (string?)response["status"]!["message"]);

        // Warnings: the audit's one-line summaries; the mutation itself is summarised differently and compared by its record.
        var change = said.FirstOrDefault(r => r["properties"]!["mutation"] is not null);
        var summaries = said.Where(r => (string?)r["result"] != "fail" && r != change).Select(r => (string)r["summary"]!).Distinct().ToList();
        var warnings = response["warnings"]?.AsArray().Select(w => w!.GetValue<string>()["rwx-guard: ".Length..]).ToList() ?? [];
        Assert.All(summaries, summary => Assert.Contains(summary, warnings));
        Assert.True(warnings.Count == summaries.Count + (change is null ? 0 : 1), $"{context}: {string.Join(" | ", warnings)}");
        if (change is not null)
        {
            Assert.NotNull(mutation);
            Assert.Equal((string?)change["properties"]!["mutation"], mutation.Metadata.Annotations["rwx-guard.io/mutated"]);
            Assert.Equal((string?)change["properties"]!["storageClass"], mutation.Spec.StorageClassName);
            Assert.Equal(["ReadWriteMany"], mutation.Spec.AccessModes);
        }
    }

    /// <summary>The install's files into <paramref name="to"/>, in file order, with each edit (text, replacement) made once.</summary>
    private static List<string> Copy(string from, string to, string[] edits)
    {
        var sources = File.Exists(from) ? [from] : Directory.GetFiles(from, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var contents = sources.Select(File.ReadAllText).ToArray();
        for (var e = 0; e < edits.Length; e += 2)
        {
            var file = Array.FindIndex(contents, c => c.Contains(edits[e], StringComparison.Ordinal));
            Assert.True(file >= 0, $"'{edits[e]}' is in none of {from}"); // the edit really happens
            var at = contents[file].IndexOf(edits[e], StringComparison.Ordinal);
            contents[file] = string.Concat(contents[file].AsSpan(0, at), edits[e + 1], contents[file].AsSpan(at + edits[e].Length));
        }
        var copies = sources.Select(s => Path.Combine(to, Path.GetFileName(s))).ToList();
        for (var i = 0; i < copies.Count; i++) File.WriteAllText(copies[i], contents[i]);
        return copies;
    }
}
