using k8s;
using k8s.Models;
using RwxGuard.CommandLine;
using RwxGuard.Tests.Infrastructure.FakeKube;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Migrate;

/// <summary><c>webhook migrate</c> as a user runs it: the plan, -o yaml, --apply with verify at the end, --rollback.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MigrateCommandTests
{
    private static Task<(int Code, string Out, string Err)> RunAsync(MigrationHarness h, params string[] args) => RunAsync(h, false, args);

    private static async Task<(int Code, string Out, string Err)> RunAsync(MigrationHarness h, bool terminal, params string[] args)
    {
        var kubeconfig = h.Api.WriteKubeconfig(Path.Combine(h.Root, "kubeconfig"));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await WebhookCommandLine.RunAsync(["migrate", "deployment/anythingllm", "-n", "ai", "--kubeconfig", kubeconfig, "--poll-interval", "0.02", .. args],
            new CliConsole(new StringReader(""), stdout, stderr, terminal), TestContext.Current.CancellationToken);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Without_apply_it_prints_the_preflight_the_steps_and_the_downtime_and_changes_nothing()
    {
        await using var h = await MigrationHarness.StartAsync();
        var revision = h.Api.Store.Revision;

        var (code, output, stderr) = await RunAsync(h, "--storage-class", "efs-sc");

        Assert.True(code == 0, output + stderr);
        Assert.Contains($"Migration of persistentvolumeclaim ai/anythingllm-storage-claim (ReadWriteOnce, gp3, volume {h.OriginalVolume}) to ReadWriteMany on storageclass efs-sc, 8Gi", output);
        Assert.Contains("✓ ok: RBAC: all 27 API permissions allowed", output);
        Assert.Contains("✓ ok: server dry run of the temporary claim and the copy Job: accepted", output);
        Assert.Contains($"   2. retain-original-volume   persistentvolume/{h.OriginalVolume} patched: persistentVolumeReclaimPolicy Delete -> Retain", output);
        Assert.Contains("note: Helm release anythingllm owns claim anythingllm-storage-claim (official AnythingLLM chart)", output);
        Assert.Contains("Downtime: deployment/anythingllm at 0 replicas", output);
        Assert.Contains("Plan only; nothing was changed.", output);
        Assert.Equal(revision, h.Api.Store.Revision); // not one write (the dry runs are not stored)
    }

    [Fact]
    public async Task Output_yaml_prints_every_object_it_would_create_as_applicable_yaml()
    {
        await using var h = await MigrationHarness.StartAsync(tree: false);

        var (code, output, stderr) = await RunAsync(h, "--storage-class", "efs-sc", "-o", "yaml");

        Assert.True(code == 0, output + stderr);
        var documents = output.Split("---\n");
        Assert.Equal(3, documents.Length);
        var temporary = KubernetesYaml.Deserialize<V1PersistentVolumeClaim>(documents[0]);
        Assert.Equal(("anythingllm-storage-claim-rwx-guard-migration", "efs-sc", "ReadWriteMany"), (temporary.Metadata.Name, temporary.Spec.StorageClassName, temporary.Spec.AccessModes[0]));
        var job = KubernetesYaml.Deserialize<V1Job>(documents[1]);
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Contains("VERIFIED", job.Spec.Template.Spec.Containers[0].Command[2]); // the script itself
        Assert.Contains("@sha256:", job.Spec.Template.Spec.Containers[0].Image);
        var final = KubernetesYaml.Deserialize<V1PersistentVolumeClaim>(documents[2]);
        Assert.Equal(("anythingllm-storage-claim", "<the volume anythingllm-storage-claim-rwx-guard-migration bound>"), (final.Metadata.Name, final.Spec.VolumeName));
        Assert.Equal("anythingllm", final.Metadata.Annotations["meta.helm.sh/release-name"]);
    }

    [Fact]
    public async Task On_a_terminal_the_same_run_draws_with_Spectre_Console()
    {
        await using var h = await MigrationHarness.StartAsync();

        var (code, output, stderr) = await RunAsync(h, terminal: true, "--apply");

        Assert.True(code == 0, output + stderr);
        Assert.Contains("\u001b[38;5;2m✓\u001b[0m \u001b[1mcreate-migrated-claim\u001b[0m", output); // a green ✓, a bold step name
        Assert.Equal("ReadWriteMany", h.Claim()!.At("spec.accessModes")![0]!.ToString());
    }

    [Fact]
    public async Task A_refused_plan_exits_1_with_each_reason()
    {
        await using var h = await MigrationHarness.StartAsync(tree: false);

        var (code, output, stderr) = await RunAsync(h, "--storage-class", "gp3", "--apply");

        Assert.Equal(1, code);
        Assert.Contains("✗ storageclass gp3 (provisioner ebs.csi.aws.com) is not known to support ReadWriteMany", stderr);
        Assert.Contains("Refused: 1 preflight check failed; nothing was changed.", output);
        Assert.Equal(h.OriginalVolume, h.Claim()!.Str("spec.volumeName"));
    }

    [Fact]
    public async Task Apply_migrates_verifies_and_tells_what_was_kept_then_rollback_undoes_it()
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));

        var (code, output, stderr) = await RunAsync(h, "--apply");

        Assert.True(code == 0, output + stderr);
        Assert.Contains("storageclass efs-sc: efs.csi.aws.com, RWX-capable (discovered: provisioner efs.csi.aws.com)", output); // the mutator's choice
        Assert.Contains("✓ copy: job/anythingllm-storage-claim-rwx-guard-copy-1 copied and verified", output);
        Assert.Contains("copy anythingllm-storage-claim → anythingllm-storage-claim-rwx-guard-migration: ", output); // plain progress lines
        Assert.Contains("✓ deployment/anythingllm claim: anythingllm-storage-claim is RWX on efs-sc", output); // verify's checklist
        Assert.Contains($"Kept: persistentvolume/{h.OriginalVolume} (Retain) holds the data as it was before: the backup.", output);
        Assert.Contains("Undo:                         webhook migrate deployment/anythingllm -n ai --rollback", output);

        var (undone, rollbackOutput, rollbackError) = await RunAsync(h, "--rollback");
        Assert.True(undone == 0, rollbackOutput + rollbackError);
        await MigrationInterruptTests.AssertRolledBackAsync(h, before);

        var (nothing, _, nothingError) = await RunAsync(h, "--rollback");
        Assert.Equal(1, nothing);
        Assert.Contains("no migration is recorded", nothingError);
    }
}
