using RwxGuard.Migrate;
using RwxGuard.Tests.Infrastructure.FakeKube;

namespace RwxGuard.Tests.Migrate;

/// <summary>A whole migration against the fake cluster, with the real copy over directories standing for volumes.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MigrationEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Apply_moves_the_data_to_an_RWX_claim_of_the_same_name_and_keeps_the_old_volume_as_the_backup()
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var originalUid = h.Claim()!.Uid();

        var plan = await h.PlanAsync(h.Request(replicas: 2));
        Assert.False(plan.Refused, string.Join("\n", plan.Refusals));
        var output = new RecordingOutput();
        var (state, healthy) = await h.Executor(output).ApplyAsync(plan.State!, Ct);

        Assert.True(healthy, output.ToString());
        Assert.Equal([StepNames.Lock, StepNames.RetainOriginal, StepNames.CreateTemporary, StepNames.ScaleDown, StepNames.Copy, StepNames.RetainNew,
            StepNames.ReleaseTemporary, StepNames.FreeNewVolume, StepNames.DeleteOriginal, StepNames.CreateMigrated, StepNames.ScaleUp, StepNames.Verify, StepNames.Finish], output.Steps);
        await AssertMigratedAsync(h, state, before, originalUid, replicas: 2);
        Assert.NotEmpty(output.Progress);
        Assert.Contains(output.Lines, l => l.Contains("VERIFIED files=", StringComparison.Ordinal));
        Assert.Empty(h.Violations);

        // Running it again finds nothing to do.
        var again = await h.PlanAsync(h.Request());
        Assert.True(again.AlreadyCompleted, string.Join("\n", again.Refusals));
    }

    [Fact]
    public async Task With_snapshot_a_ready_VolumeSnapshot_of_the_claim_exists_before_the_copy()
    {
        await using var h = await MigrationHarness.StartAsync();
        h.Api.Seed(ResourceType.VolumeSnapshotClasses, """{"metadata":{"name":"ebs-snapshots","annotations":{"snapshot.storage.kubernetes.io/is-default-class":"true"}},"driver":"ebs.csi.aws.com","deletionPolicy":"Retain"}""");
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var uid = h.Claim()!.Uid();

        var plan = await h.PlanAsync(h.Request(snapshot: true));
        Assert.False(plan.Refused, string.Join("\n", plan.Refusals));
        Assert.Contains(plan.Checks, c => c == "VolumeSnapshotClass for ebs.csi.aws.com found");
        var output = new RecordingOutput();
        var (state, _) = await h.Executor(output).ApplyAsync(plan.State!, Ct);

        Assert.Equal(StepNames.Snapshot, output.Steps[2]); // after the Retain, before anything else
        var snapshot = h.Get(ResourceType.VolumeSnapshots, "anythingllm-storage-claim-rwx-guard-backup");
        Assert.True((bool)snapshot.At("status.readyToUse")!);
        Assert.Equal(MigrationHarness.ClaimName, snapshot.Str("spec.source.persistentVolumeClaimName"));
        await AssertMigratedAsync(h, state, before, uid, replicas: 1);
    }

    /// <summary>The end state every successful run, interrupted or not, must reach.</summary>
    internal static async Task AssertMigratedAsync(MigrationHarness h, MigrationState state, IReadOnlyList<TreeEntry> before, string originalUid, int replicas)
    {
        var claim = h.Claim()!;
        Assert.NotEqual(originalUid, claim.Uid());
        Assert.Equal("Bound", claim.Str("status.phase"));
        Assert.Equal("ReadWriteMany", claim.At("spec.accessModes")![0]!.ToString());
        Assert.Equal("efs-sc", claim.Str("spec.storageClassName"));
        Assert.Equal("Helm", claim.Labels()["app.kubernetes.io/managed-by"]);
        Assert.Equal("anythingllm", claim.Annotations()["meta.helm.sh/release-name"]);
        Assert.Contains("\"phase\":\"completed\"", claim.Annotations()[MigrationAnnotations.State]);
        var newVolume = claim.Str("spec.volumeName")!;
        Assert.Equal(state.NewVolume, newVolume);
        Assert.Equal("Retain", h.Volume(newVolume)!.Str("spec.persistentVolumeReclaimPolicy"));

        var backup = h.Volume(h.OriginalVolume)!;
        Assert.Equal("Retain", backup.Str("spec.persistentVolumeReclaimPolicy"));
        Assert.Equal("Released", backup.Str("status.phase"));
        Assert.Equal("ai/anythingllm-storage-claim", backup.Annotations()[MigrationAnnotations.BackupOf]);
        Assert.Equal("Delete", backup.Annotations()[MigrationAnnotations.OriginalReclaimPolicy]);

        // The data: the backup is untouched, the new volume holds the same tree, and the database is intact.
        Assert.True(before.SequenceEqual(TreeSnapshot.Of(h.VolumePath(h.OriginalVolume))), "the original volume changed");
        var copied = TreeSnapshot.Of(h.VolumePath(newVolume));
        Assert.True(before.SequenceEqual(copied), $"before:\n{TreeSnapshot.Describe(before)}\ncopy:\n{TreeSnapshot.Describe(copied)}");
        Assert.Equal("ok", AnythingLlmTree.IntegrityCheck(Path.Combine(h.VolumePath(newVolume), AnythingLlmTree.Database)));

        var deployment = h.Get(ResourceType.Deployments, "anythingllm");
        Assert.Equal(replicas, deployment.Int("spec.replicas"));
        await RwxGuard.Tests.Cluster.Poll.UntilAsync(() => h.Get(ResourceType.Deployments, "anythingllm").Int("status.readyReplicas") == replicas, "the pods run on the RWX claim");
        Assert.DoesNotContain(MigrationAnnotations.Lock, deployment.Annotations().Keys);
        Assert.DoesNotContain(MigrationAnnotations.State, deployment.Annotations().Keys);
        Assert.DoesNotContain(MigrationAnnotations.Replicas, deployment.Annotations().Keys);
        Assert.Null(h.Claim(state.TemporaryClaim));
        Assert.Empty(h.Violations);
    }
}
