using System.Net;
using k8s.Autorest;
using RwxGuard.Migrate;
using k8s;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure.FakeKube;

namespace RwxGuard.Tests.Migrate;

/// <summary>
/// A migration stopped after every step — the run cancelled there, or an API error in the middle of the next step
/// (some answered before the change, some after it: the answer was lost) — is finished by running --apply again, to the
/// same end state as an uninterrupted run, and undone by --rollback, to the original claim on the original volume with
/// the original replicas. Throughout, no claim is deleted while its volume could be deleted with it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MigrationInterruptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static readonly TheoryData<string> Steps =
    [
        StepNames.Lock, StepNames.RetainOriginal, StepNames.CreateTemporary, StepNames.ScaleDown, StepNames.Copy, StepNames.RetainNew,
        StepNames.ReleaseTemporary, StepNames.FreeNewVolume, StepNames.DeleteOriginal, StepNames.CreateMigrated, StepNames.ScaleUp, StepNames.Verify,
    ];

    /// <summary>Runs --apply until the step is reported done, then stops it there (the process is gone).</summary>
    private static async Task StopAfterAsync(MigrationHarness h, string step, int? replicas = null)
    {
        var plan = await h.PlanAsync(h.Request(replicas: replicas));
        Assert.False(plan.Refused, string.Join("\n", plan.Refusals));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var output = new RecordingOutput(step, stop);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Executor(output).ApplyAsync(plan.State!, stop.Token));
        Assert.Contains(step, output.Steps);
        Assert.DoesNotContain(StepNames.Finish, output.Steps); // stopped before the end
    }

    private static async Task<MigrationState> ResumeAsync(MigrationHarness h, int? replicas = null)
    {
        var plan = await h.PlanAsync(h.Request(replicas: replicas));
        Assert.False(plan.Refused, string.Join("\n", plan.Refusals));
        var output = new RecordingOutput();
        var (state, healthy) = await h.Executor(output).ApplyAsync(plan.State!, Ct);
        Assert.True(healthy, output.ToString());
        return state;
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Stopped_after_a_step_apply_resumes_to_the_same_end_state(string step)
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var uid = h.Claim()!.Uid();

        await StopAfterAsync(h, step, replicas: 2);
        var resumed = await h.PlanAsync(h.Request());
        Assert.True(resumed.Resuming, $"the second run reads the recorded state (after {step})");
        var state = await ResumeAsync(h);

        await MigrationEndToEndTests.AssertMigratedAsync(h, state, before, uid, replicas: 2); // --replicas of the first run is recorded
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Stopped_after_a_step_rollback_restores_the_original_claim_volume_and_replicas(string step)
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));

        await StopAfterAsync(h, step, replicas: 2);
        var state = (await h.PlanAsync(h.Request())).State!;
        await h.Executor(new RecordingOutput()).RollbackAsync(state, Ct);

        await AssertRolledBackAsync(h, before);
    }

    [Fact]
    public async Task A_completed_migration_rolls_back_too_and_the_copy_is_kept()
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var migrated = await ResumeAsync(h);
        var recorded = MigrationState.FromAnnotations(new Dictionary<string, string>(h.Claim()!.Annotations()))!;

        var output = new RecordingOutput();
        await h.Executor(output).RollbackAsync(recorded, Ct);

        await AssertRolledBackAsync(h, before);
        Assert.Equal("Retain", h.Volume(migrated.NewVolume!)!.Str("spec.persistentVolumeReclaimPolicy")); // writes made after the migration live there
        Assert.Contains(output.Lines, l => l.Contains($"persistentvolume/{migrated.NewVolume} (the copy, Retain) is kept", StringComparison.Ordinal));
    }

    /// <summary>An API error on the first request of a step: before the change (500) or after it (the answer lost).</summary>
    public static readonly TheoryData<string, string, string, string?, bool> Faults = new()
    {
        { StepNames.Lock, "patch", "deployments", null, false },
        { StepNames.RetainOriginal, "patch", "persistentvolumes", "Retain", true },
        { StepNames.CreateTemporary, "create", "persistentvolumeclaims", null, true },
        { StepNames.ScaleDown, "patch", "deployments", "\"replicas\":0", false },
        { StepNames.Copy, "create", "jobs", null, true },
        { StepNames.RetainNew, "patch", "persistentvolumes", MigrationAnnotations.MigratedFrom, false },
        { StepNames.ReleaseTemporary, "delete", "persistentvolumeclaims", "-rwx-guard-migration", true },
        { StepNames.FreeNewVolume, "patch", "persistentvolumes", "\"uid\":null", true },
        { StepNames.DeleteOriginal, "delete", "persistentvolumeclaims", MigrationHarness.ClaimName, true },
        { StepNames.CreateMigrated, "create", "persistentvolumeclaims", "ReadWriteMany\"],\"resources\"", true },
        { StepNames.ScaleUp, "patch", "deployments", "\"replicas\":2", false },
        { StepNames.Finish, "patch", "persistentvolumeclaims", "completed", true },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task An_API_error_in_a_step_stops_the_run_and_apply_resumes_it(string step, string verb, string resource, string? bodyOrName, bool afterApply)
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var uid = h.Claim()!.Uid();
        h.Api.Faults.Add(new Fault
        {
            Verb = verb,
            Resource = ResourceType.BuiltIn.Single(t => t.Plural == resource),
            Status = 500,
            AfterApply = afterApply,
            When = r => bodyOrName is null || r.Body.Contains(bodyOrName, StringComparison.Ordinal) || r.Name == bodyOrName || (r.Name?.EndsWith(bodyOrName, StringComparison.Ordinal) ?? false),
        });

        var plan = await h.PlanAsync(h.Request(replicas: 2));
        var output = new RecordingOutput();
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => h.Executor(output).ApplyAsync(plan.State!, Ct));
        Assert.Equal(HttpStatusCode.InternalServerError, error.Response.StatusCode);
        Assert.Equal(1, h.Api.Faults.Fired);
        Assert.DoesNotContain(step, output.Steps); // it stopped in that step

        var state = await ResumeAsync(h, replicas: 2); // the same command again
        await MigrationEndToEndTests.AssertMigratedAsync(h, state, before, uid, replicas: 2);
    }

    [Fact]
    public async Task A_conflict_on_the_lock_is_read_again_and_taken()
    {
        await using var h = await MigrationHarness.StartAsync(tree: false);
        // Someone else wrote the Deployment between our read and our write: the API server answers 409.
        h.Api.Faults.Add(new Fault { Verb = "patch", Resource = ResourceType.Deployments, Status = 409, When = r => r.Body.Contains(MigrationAnnotations.Lock, StringComparison.Ordinal) });
        var plan = await h.PlanAsync(h.Request());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Executor(new RecordingOutput(StepNames.Lock, stop)).ApplyAsync(plan.State!, stop.Token));

        Assert.Equal(1, h.Api.Faults.Fired);
        Assert.StartsWith(MigrationHarness.Owner + " since ", h.Get(ResourceType.Deployments, "anythingllm").Annotations()[MigrationAnnotations.Lock]);
    }

    [Fact]
    public async Task The_copy_is_reserved_for_the_claim_of_the_original_name_and_no_other_claim_binds_it()
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var uid = h.Claim()!.Uid();
        await StopAfterAsync(h, StepNames.FreeNewVolume);
        var copy = h.Api.Store.List(ResourceType.Volumes)
            .Single(v => v["metadata"]?["annotations"]?[MigrationAnnotations.MigratedFrom] is not null);
        Assert.Equal(MigrationHarness.ClaimName, copy.Str("spec.claimRef.name"));
        Assert.True(string.IsNullOrEmpty(copy.Str("spec.claimRef.uid")), copy.ToJsonString());

        // Someone else's claim of the same class and a size the copy could hold, created while the original still exists
        // (step 10 waits for its pods): it must get a volume of its own, never the copy.
        await h.Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new k8s.Models.V1PersistentVolumeClaim
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "someone-else" },
            Spec = new k8s.Models.V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteMany"],
                StorageClassName = "efs-sc",
                Resources = new k8s.Models.V1VolumeResourceRequirements { Requests = new Dictionary<string, k8s.Models.ResourceQuantity> { ["storage"] = new("1Mi") } },
            },
        }, MigrationHarness.Ns, cancellationToken: Ct);
        await Poll.UntilAsync(() => h.Claim("someone-else")?.Str("status.phase") == "Bound", "the other claim binds");
        Assert.NotEqual(copy.Name(), h.Claim("someone-else")!.Str("spec.volumeName"));

        var state = await ResumeAsync(h);
        await MigrationEndToEndTests.AssertMigratedAsync(h, state, before, uid, replicas: 1);
    }

    [Fact]
    public async Task A_failed_copy_keeps_the_original_untouched_and_the_next_run_copies_again()
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var uid = h.Claim()!.Uid();
        var real = h.Controllers.Jobs.Runner;
        h.Controllers.Jobs.Runner = (run, _) =>
        {
            run.Log("FAILED: simulated: the target filled up\n");
            return Task.FromResult(false);
        };

        var plan = await h.PlanAsync(h.Request());
        var error = await Assert.ThrowsAsync<MigrationException>(() => h.Executor(new RecordingOutput()).ApplyAsync(plan.State!, Ct));
        Assert.Contains("the copy failed", error.Message);
        Assert.Equal(h.OriginalVolume, h.Claim()!.Str("spec.volumeName"));
        Assert.Equal(1, h.Get(ResourceType.Jobs, $"{MigrationHarness.ClaimName}-rwx-guard-copy-1").Int("status.failed")); // kept, with its log

        h.Controllers.Jobs.Runner = real;
        var state = await ResumeAsync(h, replicas: 1);
        Assert.Equal(2, state.CopyAttempt);
        await MigrationEndToEndTests.AssertMigratedAsync(h, state, before, uid, replicas: 1);
    }

    [Fact]
    public async Task A_second_migration_of_the_same_claim_is_refused_while_the_first_holds_the_lock()
    {
        await using var h = await MigrationHarness.StartAsync();
        await StopAfterAsync(h, StepNames.ScaleDown);

        var other = await h.PlanAsync(h.Request() with { Owner = "bob@other-laptop" });
        Assert.True(other.Refused);
        Assert.Contains(other.Refusals, r => r.Contains("locked by another migration", StringComparison.Ordinal) && r.Contains(MigrationHarness.Owner, StringComparison.Ordinal));
        var executor = new MigrationExecutor(h.Client, new RecordingOutput(), "bob@other-laptop", timings: MigrationHarness.Fast);
        var state = (await h.PlanAsync(h.Request())).State!;
        await Assert.ThrowsAsync<MigrationException>(() => executor.ApplyAsync(state, Ct));

        var takeOver = await h.PlanAsync(h.Request() with { Owner = "bob@other-laptop", TakeOverLock = true });
        Assert.False(takeOver.Refused, string.Join("\n", takeOver.Refusals));
    }

    internal static async Task AssertRolledBackAsync(MigrationHarness h, IReadOnlyList<TreeEntry> before)
    {
        var claim = h.Claim()!;
        Assert.Equal(h.OriginalVolume, claim.Str("spec.volumeName"));
        Assert.Equal("Bound", claim.Str("status.phase"));
        Assert.Equal("ReadWriteOnce", claim.At("spec.accessModes")![0]!.ToString());
        Assert.Equal("gp3", claim.Str("spec.storageClassName"));
        Assert.Equal("Helm", claim.Labels()["app.kubernetes.io/managed-by"]);
        Assert.DoesNotContain(MigrationAnnotations.State, claim.Annotations().Keys);
        var volume = h.Volume(h.OriginalVolume)!;
        Assert.Equal("Bound", volume.Str("status.phase"));
        Assert.Equal(claim.Uid(), volume.Str("spec.claimRef.uid"));
        Assert.Equal("Delete", volume.Str("spec.persistentVolumeReclaimPolicy")); // as it was
        Assert.True(before.SequenceEqual(TreeSnapshot.Of(h.VolumePath(h.OriginalVolume))), "the original data changed");
        var deployment = h.Get(ResourceType.Deployments, "anythingllm");
        Assert.Equal(1, deployment.Int("spec.replicas"));
        await RwxGuard.Tests.Cluster.Poll.UntilAsync(() => h.Get(ResourceType.Deployments, "anythingllm").Int("status.readyReplicas") == 1, "AnythingLLM runs on the original claim");
        Assert.DoesNotContain(deployment.Annotations().Keys, k => k.StartsWith(MigrationAnnotations.Prefix, StringComparison.Ordinal));
        Assert.Null(h.Claim($"{MigrationHarness.ClaimName}-rwx-guard-migration"));
        Assert.Empty(h.Violations);
    }
}
