using RwxGuard.Tests.Infrastructure;
using RwxGuard.Audit;

namespace RwxGuard.Tests.Audit;

/// <summary><c>webhook audit</c> over the three real-world AnythingLLM manifests.</summary>
public sealed class AnythingLlmAuditTests
{
    public static TheoryData<string, string, string, string, int> Scaled => new()
    {
        // file, namespace, Deployment, claim, replicas
        { "official-helm-chart-rendered.yaml", "ai", "anythingllm", "anythingllm-storage-claim", 2 },
        { "community-chart-rendered.yaml", "team-a", "anything-llm-team-a", "server-storage", 3 },
    };

    [Theory]
    [MemberData(nameof(Scaled))]
    public async Task Scaled_chart_without_an_rwx_class_fails_on_its_claim(string file, string ns, string deployment, string claim,
        int replicas)
    {
        var run = await Cli.RunAsync("-f", Cli.Anythingllm(file), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", deployment));
        Assert.Equal(("fail", "replicated-single-attach", ns), ((string?)verdict["result"], (string?)verdict["rule"], (string?)verdict["namespace"]));
        Assert.Contains($"single-attach claim {claim} (ReadWriteOnce)", (string)verdict["message"]!);
        Assert.Equal($"claim {claim} (RWO)", (string?)verdict["properties"]!["claims"]);
        Assert.Equal(replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)verdict["properties"]!["replicas"]);

        // No StorageClass in the input: the mutator would leave the claim RWO, and the CLI says how to audit "as if".
        var claimResult = Assert.Single(run.For("PersistentVolumeClaim", claim));
        Assert.Equal(("warn", "no-rwx-class"), ((string?)claimResult["result"], (string?)claimResult["rule"]));
        Assert.Equal("RWO", (string?)claimResult["properties"]!["accessModes"]);
        Assert.Contains("--storage-class <name>", run.Stderr);
    }

    [Theory]
    [MemberData(nameof(Scaled))]
    public async Task Table_names_the_workload_the_claim_and_the_fix(string file, string ns, string deployment, string claim, int replicas)
    {
        var run = await Cli.RunAsync("-f", Cli.Anythingllm(file));

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.StartsWith("NAMESPACE ", lines[0]);
        Assert.Equal(["NAMESPACE", "KIND", "NAME", "REPLICAS", "CLAIMS", "RESULT", "RULE", "MESSAGE"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(lines, l => l.StartsWith(ns + " ", StringComparison.Ordinal) && l.Contains(" Deployment "));
        Assert.Equal([ns, "Deployment", deployment, replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), claim, "(RWO)", "fail",
            "replicated-single-attach"], row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..8]);
        Assert.Contains("The webhook would deny 1 object (mode enforce); exit code 1.", run.Stdout);
        // The full denial text, with where the object is and the fix.
        Assert.Contains($"Deployment {ns}/{deployment} ({Cli.Anythingllm(file)}:", run.Stdout);
        Assert.Contains("Fix: move the data to a ReadWriteMany claim", run.Stdout);
    }

    [Theory]
    [MemberData(nameof(Scaled))]
    public async Task With_an_efs_class_in_the_input_the_claim_is_mutated_and_the_deployment_passes_with_the_store_warnings(
        string file, string ns, string deployment, string claim, int replicas)
    {
        _ = ns;
        var run = await Cli.RunAsync("-f", Cli.Anythingllm(file), "-f", Cli.StorageClasses("eks.json"), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        var mutation = Assert.Single(run.For("PersistentVolumeClaim", claim));
        Assert.Equal(("pass", "claim-rwx"), ((string?)mutation["result"], (string?)mutation["rule"]));
        Assert.Equal("mutation: would set ReadWriteMany on efs-sc (was RWO on gp3)", (string?)mutation["summary"]);
        // The API server's DefaultStorageClass plugin gives the claim gp3 first; the mutator then moves it to EFS.
        Assert.Equal("accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: gp3 -> efs-sc (discovered: provisioner efs.csi.aws.com)",
            (string?)mutation["properties"]!["mutation"]);
        Assert.Equal(("RWX", "efs-sc"), ((string?)mutation["properties"]!["accessModes"], (string?)mutation["properties"]!["storageClass"]));

        // Policy 1 sees the claim as mutated: no violation, only the warnings about what AnythingLLM keeps on the volume.
        var verdicts = run.For("Deployment", deployment);
        Assert.Equal([("warn", "anythingllm-lancedb"), ("warn", "anythingllm-sqlite")],
            verdicts.Select(v => ((string?)v["result"], (string?)v["rule"])));
        Assert.Contains($"{replicas} replicas share SQLite; use image :pg + postgresql:// DATABASE_URL", (string)verdicts[1]["summary"]!);
        // Both charts take their settings through envFrom: the LanceDB warning says it cannot see VECTOR_DB there.
        Assert.Contains($"{replicas} replicas share LanceDB unless envFrom sets an external VECTOR_DB", (string)verdicts[0]["summary"]!);
        Assert.All(verdicts, v => Assert.Equal($"claim {claim} (RWX)", (string?)v["properties"]!["claims"]));
        Assert.DoesNotContain("hint:", run.Stderr);
    }

    [Fact]
    public async Task Storage_class_flag_audits_as_if_the_class_existed()
    {
        var run = await Cli.RunAsync("-f", Cli.Anythingllm("official-helm-chart-rendered.yaml"), "--storage-class", "efs-sc");

        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        Assert.Contains("mutation: would set ReadWriteMany on efs-sc (was RWO, no StorageClass)", run.Stdout);
        Assert.Contains("anythingllm-sqlite", run.Stdout);
        Assert.DoesNotContain(" fail ", run.Stdout);
        Assert.Contains("Assumed: StorageClass efs-sc exists and is RWX-capable (not in the input)", run.Stdout);

        var json = await Cli.RunAsync("-f", Cli.Anythingllm("official-helm-chart-rendered.yaml"), "--storage-class", "efs-sc", "-o", "json");
        var claim = Assert.Single(json.For("PersistentVolumeClaim", "anythingllm-storage-claim"));
        Assert.Equal("accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: (unset) -> efs-sc (Mutation:StorageClass)",
            (string?)claim["properties"]!["mutation"]);
    }

    [Fact]
    public async Task Official_raw_manifest_at_one_replica_is_clean()
    {
        var run = await Cli.RunAsync("-f", Cli.Anythingllm("official-raw-manifest.yaml"), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anything-llm"));
        Assert.Equal("pass", (string?)verdict["result"]);
        Assert.Equal("{{ namespace }}", (string?)verdict["namespace"]); // the placeholder, read as the string it is
        Assert.Equal("claim anything-llm-volume-claim (RWO)", (string?)verdict["properties"]!["claims"]);
        // The unlabeled claim is still selected (by name) and would be left RWO: a warning, not a failure.
        var claim = Assert.Single(run.For("PersistentVolumeClaim", "anything-llm-volume-claim"));
        Assert.Equal(("warn", "name *anythingllm* or *anything-llm*"), ((string?)claim["result"], (string?)claim["properties"]!["selectedBy"]));
        Assert.Equal(0, (int)run.Json["summary"]!["fail"]!);
        var skipped = run.Json["input"]!["skipped"]!.AsObject();
        Assert.Equal((1, 1, 1), ((int)skipped["PersistentVolume"]!, (int)skipped["Ingress"]!, (int)skipped["Service"]!));
    }

    [Fact]
    public async Task Official_raw_manifest_scaled_fails()
    {
        var text = File.ReadAllText(Cli.Anythingllm("official-raw-manifest.yaml")).Replace("replicas: 1", "replicas: 2", StringComparison.Ordinal);

        var run = await Cli.RunWithStdinAsync(text, "-f", "-", "-o", "json");

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        Assert.Equal("fail", (string?)Assert.Single(run.For("Deployment", "anything-llm"))["result"]);
    }

    [Fact]
    public async Task Warn_mode_reports_violations_without_failing()
    {
        var run = await Cli.RunAsync("-f", Cli.Anythingllm("community-chart-rendered.yaml"), "--mode", "Warn", "-o", "json");

        Assert.Equal(AuditCommand.ExitClean, run.ExitCode);
        Assert.Equal(("warn", 0), ((string?)run.Json["mode"], (int)run.Json["exitCode"]!));
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal(("fail", "warn"), ((string?)verdict["result"], (string?)verdict["properties"]!["mode"]));
    }

    [Fact]
    public async Task Settings_file_applies_policy_and_mutation_settings()
    {
        var settings = Path.Combine(Directory.CreateTempSubdirectory("rwx-guard-audit-").FullName, "settings.json");
        await File.WriteAllTextAsync(settings, """
            { "Policy": { "AnythingLlmSqlite": "Deny" }, "Mutation": { "StorageClass": "efs-sc" } }
            """, TestContext.Current.CancellationToken);

        var run = await Cli.RunAsync("-f", Cli.Anythingllm("official-helm-chart-rendered.yaml"), "--config", settings, "-o", "json");

        // The class named by the settings is taken as existing (no cluster to check it in): the claim is mutated...
        var claim = Assert.Single(run.For("PersistentVolumeClaim", "anythingllm-storage-claim"));
        Assert.Equal("pass", (string?)claim["result"]);
        Assert.Contains("(Mutation:StorageClass)", (string)claim["properties"]!["mutation"]!);
        // ...and the SQLite rule, set to Deny, is a violation; the LanceDB rule, left at Warn, a warning.
        Assert.Equal([("warn", "anythingllm-lancedb"), ("fail", "anythingllm-sqlite")],
            run.For("Deployment", "anythingllm").Select(v => ((string?)v["result"], (string?)v["rule"])));
        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
    }

    private static string Install(params string[] parts) => Path.Combine([Fixtures.Dir, "installs", .. parts]);

    /// <summary>
    /// AnythingLLM's OpenShift example with its claim renamed to something no name or label selector catches: the
    /// claim is still selected, because the Deployment in the same input runs AnythingLLM's image (behind a registry
    /// prefix) and mounts it.
    /// </summary>
    [Fact]
    public async Task A_claim_is_selected_by_the_AnythingLLM_workload_mounting_it_in_the_same_input()
    {
        var text = File.ReadAllText(Install("openshift-readme", "anythingllm-EXTRACTED.yaml")).Replace("anythingllm-storage", "chat-data", StringComparison.Ordinal);

        var run = await Cli.RunWithStdinAsync(text, "-f", "-", "--storage-class", "efs-sc", "-o", "json");

        var claim = Assert.Single(run.For("PersistentVolumeClaim", "chat-data"));
        Assert.Equal(("pass", "claim-rwx"), ((string?)claim["result"], (string?)claim["rule"]));
        Assert.Equal("Deployment default/anythingllm running anythingllm, which mounts it", (string?)claim["properties"]!["selectedBy"]);
        Assert.Equal("RWX", (string?)claim["properties"]!["accessModes"]);
    }

    /// <summary>Only a container's image field is an image: n8n's manifests with AnythingLLM's image named in a comment and
    /// in an environment value still have no AnythingLLM claim.</summary>
    [Fact]
    public async Task An_image_named_anywhere_but_in_an_image_field_selects_nothing()
    {
        var deployment = "# image: mintplexlabs/anythingllm:1.16.0 (moved to its own namespace)\n" +
                         File.ReadAllText(Install("n8n-hosting", "n8n-deployment.yaml")).Replace(
                             "value: postgresdb", "value: postgresdb\n            - name: UPSTREAM_IMAGE\n              value: mintplexlabs/anythingllm:1.16.0",
                             StringComparison.Ordinal);
        Assert.Contains("UPSTREAM_IMAGE", deployment);

        var run = await Cli.RunWithStdinAsync(deployment, "-f", "-", "-f", Install("n8n-hosting", "pvcs.yaml"),
            "-f", Install("n8n-hosting", "n8n-deployment-workers.yaml"), "--storage-class", "efs-sc", "-o", "json");

        Assert.DoesNotContain(run.Results, r => (string?)r["category"] == "ReadWriteMany claims");
        Assert.Equal("shared-single-attach", (string?)Assert.Single(run.For("Deployment", "n8n"), r => (string?)r["rule"] != "rolling-update-surge")["rule"]);
    }
}
