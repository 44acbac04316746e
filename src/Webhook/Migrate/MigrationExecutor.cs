using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary>
/// Carries out a migration, one step after the other. Every step first looks at the cluster and does only what is
/// missing, so running <see cref="ApplyAsync"/> again after any interruption (a killed process, an API error, a failed
/// copy) continues where the last run stopped, and ends in the same state. The only deletes are of claims, and only
/// once their volume is Retain; volumes are never deleted.
/// </summary>
public sealed class MigrationExecutor
{
    private readonly ClusterOperations _ops;
    private readonly IMigrationOutput _output;
    private readonly string _owner;
    private readonly bool _takeOverLock;
    private readonly Func<MigrationState, CancellationToken, Task<bool>>? _verify;

    /// <param name="verify">Runs <c>webhook verify</c> for the workload; false when it found a problem.</param>
    public MigrationExecutor(IKubernetes client, IMigrationOutput output, string owner, bool takeOverLock = false, MigrationTimings? timings = null,
        Func<MigrationState, CancellationToken, Task<bool>>? verify = null)
    {
        _ops = new ClusterOperations(client, timings ?? new MigrationTimings());
        _output = output;
        _owner = owner;
        _takeOverLock = takeOverLock;
        _verify = verify;
    }

    private IKubernetes K => _ops.Client;

    /// <summary>Runs every step; returns the final state and whether verify found the result healthy.</summary>
    public async Task<(MigrationState State, bool Healthy)> ApplyAsync(MigrationState state, CancellationToken ct)
    {
        state = await LockAsync(state, ct);
        await RetainOriginalAsync(state, ct);
        if (state.Snapshot is not null) await SnapshotAsync(state, ct);
        await CreateTemporaryAsync(state, ct);
        await ScaleDownAsync(state, ct);
        state = await CopyAsync(state, ct);
        state = await RetainNewAsync(state, ct);
        await ReleaseTemporaryAsync(state, ct);
        await FreeNewVolumeAsync(state, ct);
        await DeleteOriginalAsync(state, ct);
        await CreateMigratedAsync(state, ct);
        await ScaleUpAsync(state, state.Workloads.Select(w => (w, Same(w, state.Primary) ? state.ReplicasAfter ?? w.Replicas : w.Replicas)), ct);
        _output.StepDone(StepNames.ScaleUp, $"{string.Join(", ", state.Workloads)} running again");
        var healthy = _verify is null || await _verify(state, ct);
        _output.StepDone(StepNames.Verify, healthy ? "all checks passed" : "verify found problems (above); the data is in place, --rollback undoes the migration");
        state = await FinishAsync(state, ct);
        return (state, healthy);
    }

    // 1. One migration at a time: the lock and the state go on the primary workload, written with its resourceVersion.
    private async Task<MigrationState> LockAsync(MigrationState state, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (annotations, version, _, _) = await _ops.ReadWorkloadAsync(state.Primary.Kind, state.Namespace, state.Primary.Name, ct);
            if (annotations.TryGetValue(MigrationAnnotations.Lock, out var held) && !held.StartsWith(_owner + " since ", StringComparison.Ordinal) && !_takeOverLock)
                throw new MigrationException($"{state.Primary} is locked by another migration ({held}); use --take-over-lock if that run is dead");
            var recorded = MigrationState.FromAnnotations(annotations);
            if (recorded is not null && recorded.Phase == MigrationState.Phases.Migrating) state = recorded with { ReplicasAfter = state.ReplicasAfter ?? recorded.ReplicasAfter };
            try
            {
                await _ops.PatchWorkloadAnnotationsAsync(state.Primary.Kind, state.Namespace, state.Primary.Name, new Dictionary<string, string?>
                {
                    [MigrationAnnotations.Lock] = $"{_owner} since {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}",
                    [MigrationAnnotations.State] = state.ToJson(),
                }, ct, version);
                break;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                // someone wrote the workload in between: read again and look at the lock again
            }
        }
        await _ops.MirrorOnClaimAsync(state.Namespace, state.Claim, state.OriginalVolume, new Dictionary<string, string?> { [MigrationAnnotations.State] = state.ToJson() }, ct);
        _output.StepDone(StepNames.Lock, $"{state.Primary} locked by {_owner}");
        return state;
    }

    // 2. The backup: the original volume survives whatever happens to its claim.
    private async Task RetainOriginalAsync(MigrationState state, CancellationToken ct)
    {
        var volume = await _ops.VolumeAsync(state.OriginalVolume, ct) ?? throw new MigrationException($"persistentvolume {state.OriginalVolume} (the original data) not found");
        if (volume.Spec.PersistentVolumeReclaimPolicy == "Retain" && volume.Metadata.Annotations?.ContainsKey(MigrationAnnotations.BackupOf) == true)
        {
            _output.StepDone(StepNames.RetainOriginal, $"persistentvolume/{state.OriginalVolume} already Retain");
            return;
        }
        await _ops.PatchVolumeAsync(state.OriginalVolume, new
        {
            metadata = new
            {
                annotations = new Dictionary<string, string>
                {
                    [MigrationAnnotations.OriginalReclaimPolicy] = volume.Metadata.Annotations?.Value(MigrationAnnotations.OriginalReclaimPolicy) ?? state.OriginalReclaimPolicy,
                    [MigrationAnnotations.BackupOf] = $"{state.Namespace}/{state.Claim}",
                },
            },
            spec = new { persistentVolumeReclaimPolicy = "Retain" },
        }, ct);
        _output.StepDone(StepNames.RetainOriginal, $"persistentvolume/{state.OriginalVolume} patched: reclaim policy {state.OriginalReclaimPolicy} -> Retain");
    }

    // 3. Optional: a VolumeSnapshot, ready before anything else happens.
    private async Task SnapshotAsync(MigrationState state, CancellationToken ct)
    {
        const string group = "snapshot.storage.k8s.io";
        try
        {
            await K.CustomObjects.CreateNamespacedCustomObjectAsync(MigrationObjects.Snapshot(state), group, "v1", state.Namespace, "volumesnapshots", cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // created by an earlier run
        }
        string? error = null;
        await _ops.UntilAsync(async () =>
        {
            var snapshot = JsonSerializer.SerializeToElement(await K.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", state.Namespace, "volumesnapshots", state.Snapshot!, cancellationToken: ct));
            if (!snapshot.TryGetProperty("status", out var status)) return false;
            if (status.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m)) error = m.GetString();
            return status.TryGetProperty("readyToUse", out var ready) && ready.ValueKind == JsonValueKind.True;
        }, $"volumesnapshot {state.Snapshot} to be readyToUse", _ops.Timings.Wait, ct).ConfigureAwait(false);
        _output.StepDone(StepNames.Snapshot, $"volumesnapshot/{state.Snapshot} ready{(error is null ? "" : $" (after: {error})")}");
    }

    // 4. The RWX claim the data is copied to.
    private async Task CreateTemporaryAsync(MigrationState state, CancellationToken ct)
    {
        if (state.NewVolume is not null)
        {
            // Recorded only after a verified copy: the temporary claim has served its purpose.
            _output.StepDone(StepNames.CreateTemporary, $"persistentvolumeclaim/{state.TemporaryClaim} already used");
            return;
        }
        if (await _ops.ClaimAsync(state.Namespace, state.TemporaryClaim, ct) is null)
            await _ops.CreateClaimAsync(MigrationObjects.TemporaryClaim(state), ct);
        var claim = await _ops.ClaimAsync(state.Namespace, state.TemporaryClaim, ct);
        if (claim?.Metadata.Annotations?.Value(MigrationAnnotations.TemporaryFor) != state.Claim)
            throw new MigrationException($"persistentvolumeclaim {state.TemporaryClaim} exists and was not created by this migration");
        var storageClass = await K.StorageV1.ReadStorageClassAsync(state.TargetClass, cancellationToken: ct);
        if (storageClass.VolumeBindingMode != "WaitForFirstConsumer")
            await _ops.UntilAsync(async () => (await _ops.ClaimAsync(state.Namespace, state.TemporaryClaim, ct))?.Status?.Phase == "Bound",
                $"persistentvolumeclaim {state.TemporaryClaim} to be Bound (kubectl describe pvc {state.TemporaryClaim} -n {state.Namespace} shows why not)", _ops.Timings.Wait, ct);
        _output.StepDone(StepNames.CreateTemporary, $"persistentvolumeclaim/{state.TemporaryClaim} {(storageClass.VolumeBindingMode == "WaitForFirstConsumer" ? "created (binds when the copy starts)" : "Bound")}");
    }

    // 5. Nothing may write while the data is copied.
    private async Task ScaleDownAsync(MigrationState state, CancellationToken ct)
    {
        if (state.NewVolume is not null && (await _ops.ClaimAsync(state.Namespace, state.Claim, ct))?.Spec?.VolumeName == state.NewVolume)
        {
            // Past the swap: the workloads may already be scaling up on the new claim; do not stop them again.
            _output.StepDone(StepNames.ScaleDown, "already past the swap");
            return;
        }
        await StopWorkloadsAsync(state, ct);
        await WaitNoPodsAsync(state, ct);
        _output.StepDone(StepNames.ScaleDown, $"{string.Join(", ", state.Workloads)} at 0 replicas; no pod mounts {state.Claim}");
    }

    /// <summary>Records each workload's replicas (once: a second run must not record the 0 it set) and scales it to 0.</summary>
    private async Task StopWorkloadsAsync(MigrationState state, CancellationToken ct)
    {
        foreach (var w in state.Workloads)
        {
            var (annotations, _, replicas, _) = await _ops.ReadWorkloadAsync(w.Kind, state.Namespace, w.Name, ct);
            if (!annotations.ContainsKey(MigrationAnnotations.Replicas))
                await _ops.PatchWorkloadAnnotationsAsync(w.Kind, state.Namespace, w.Name, new Dictionary<string, string?> { [MigrationAnnotations.Replicas] = w.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);
            if (replicas != 0) await _ops.ScaleAsync(w.Kind, state.Namespace, w.Name, 0, ct);
        }
    }

    private Task WaitNoPodsAsync(MigrationState state, CancellationToken ct) =>
        _ops.UntilAsync(async () => (await _ops.PodsMountingAsync(state.Namespace, state.Claim, ct)).Count == 0,
            $"the pods mounting {state.Claim} to stop (something may be scaling them up again: an autoscaler, Argo CD, Flux)", _ops.Timings.Wait, ct);

    // 6. The copy Job: kept afterwards with its log; a failed one is kept too, and the next run starts a new attempt.
    private async Task<MigrationState> CopyAsync(MigrationState state, CancellationToken ct)
    {
        if (state.NewVolume is not null)
        {
            _output.StepDone(StepNames.Copy, "already copied and verified");
            return state;
        }
        var job = await ClusterReader.OrNull(() => K.BatchV1.ReadNamespacedJobAsync(state.CopyJob, state.Namespace, cancellationToken: ct));
        if (job is not null && Finished(job) == false)
        {
            _output.Warn($"job/{state.CopyJob} failed before (its log: kubectl logs -n {state.Namespace} job/{state.CopyJob}); starting attempt {state.CopyAttempt + 1}");
            state = state with { CopyAttempt = state.CopyAttempt + 1 };
            await WriteStateAsync(state, ct);
            job = await ClusterReader.OrNull(() => K.BatchV1.ReadNamespacedJobAsync(state.CopyJob, state.Namespace, cancellationToken: ct));
        }
        if (job is null)
        {
            try
            {
                await K.BatchV1.CreateNamespacedJobAsync(MigrationObjects.CopyJob(state), state.Namespace, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // created by an earlier run whose answer was lost
            }
        }

        var succeeded = await _output.WithProgressAsync($"copy {state.Claim} → {state.TemporaryClaim}", async (progress, log) =>
        {
            var printed = 0;
            bool? result = null;
            await _ops.UntilAsync(async () =>
            {
                var current = await K.BatchV1.ReadNamespacedJobAsync(state.CopyJob, state.Namespace, cancellationToken: ct);
                result = Finished(current);
                var pods = await K.CoreV1.ListNamespacedPodAsync(state.Namespace, labelSelector: $"job-name={state.CopyJob}", cancellationToken: ct);
                var pod = pods.Items.FirstOrDefault(p => p.Status?.Phase is "Running" or "Succeeded" or "Failed");
                if (pod is not null)
                {
                    var text = await ReadLogAsync(state.Namespace, pod.Metadata.Name, ct);
                    var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    foreach (var line in lines.Skip(printed))
                    {
                        if (CopyProgress.Parse(line) is { } p) progress(p);
                        else log(line);
                    }
                    printed = Math.Max(printed, lines.Length);
                }
                return result is not null;
            }, $"job {state.CopyJob} to finish", _ops.Timings.Copy, ct);
            return result == true;
        });
        if (!succeeded)
            throw new MigrationException($"the copy failed: job/{state.CopyJob} is kept with its log (kubectl logs -n {state.Namespace} job/{state.CopyJob}). " +
                                         "Nothing was changed on the original claim or its volume. Fix the cause and run --apply again (a new copy " +
                                         "attempt starts), or undo everything with --rollback");

        var temporary = await _ops.ClaimAsync(state.Namespace, state.TemporaryClaim, ct);
        var volume = temporary?.Spec?.VolumeName ?? throw new MigrationException($"persistentvolumeclaim {state.TemporaryClaim} has no volume after the copy");
        state = state with { NewVolume = volume };
        await WriteStateAsync(state, ct);
        _output.StepDone(StepNames.Copy, $"job/{state.CopyJob} copied and verified the data into persistentvolume/{volume}");
        return state;
    }

    private async Task<string> ReadLogAsync(string ns, string pod, CancellationToken ct)
    {
        await using var stream = await K.CoreV1.ReadNamespacedPodLogAsync(pod, ns, cancellationToken: ct);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }

    /// <summary>True: Complete; false: Failed; null: still running.</summary>
    private static bool? Finished(V1Job job)
    {
        foreach (var condition in job.Status?.Conditions ?? [])
        {
            if (condition.Status != "True") continue;
            if (condition.Type == "Complete") return true;
            if (condition.Type == "Failed") return false;
        }
        return null;
    }

    // 7. The copy survives the deletion of the temporary claim.
    private async Task<MigrationState> RetainNewAsync(MigrationState state, CancellationToken ct)
    {
        var volume = await _ops.VolumeAsync(state.NewVolume!, ct) ?? throw new MigrationException($"persistentvolume {state.NewVolume} (the copy) not found");
        if (volume.Spec.PersistentVolumeReclaimPolicy != "Retain")
        {
            state = state with { NewVolumeReclaimPolicy = state.NewVolumeReclaimPolicy ?? volume.Spec.PersistentVolumeReclaimPolicy };
            await WriteStateAsync(state, ct);
            await _ops.PatchVolumeAsync(state.NewVolume!, new
            {
                metadata = new
                {
                    annotations = new Dictionary<string, string>
                    {
                        [MigrationAnnotations.MigratedFrom] = state.OriginalVolume,
                        [MigrationAnnotations.OriginalReclaimPolicy] = state.NewVolumeReclaimPolicy!,
                    },
                },
                spec = new { persistentVolumeReclaimPolicy = "Retain" },
            }, ct);
        }
        _output.StepDone(StepNames.RetainNew, $"persistentvolume/{state.NewVolume} Retain");
        return state;
    }

    // 8. Frees the new volume's binding, never its data.
    private async Task ReleaseTemporaryAsync(MigrationState state, CancellationToken ct)
    {
        await RequireRetainAsync(state.NewVolume!, ct);
        if (await _ops.ClaimAsync(state.Namespace, state.TemporaryClaim, ct) is { } temporary) await _ops.DeleteClaimAsync(temporary, ct);
        _output.StepDone(StepNames.ReleaseTemporary, $"persistentvolumeclaim/{state.TemporaryClaim} deleted; persistentvolume/{state.NewVolume} kept");
    }

    // 9. A released volume keeps its claimRef (with the old uid) and binds to nobody until it changes. It is reserved
    // for the claim of the original name (claimRef without a uid: pre-bound), not cleared: a cleared volume is Available
    // to any pending claim of a matching class and size while step 10 waits, and another claim could bind the copy.
    private async Task FreeNewVolumeAsync(MigrationState state, CancellationToken ct)
    {
        var volume = await _ops.VolumeAsync(state.NewVolume!, ct) ?? throw new MigrationException($"persistentvolume {state.NewVolume} not found");
        var claimRef = volume.Spec.ClaimRef;
        if (claimRef is not null)
        {
            var current = await _ops.ClaimAsync(state.Namespace, claimRef.Name, ct);
            var boundToLiveClaim = current is not null && current.Metadata.Uid == claimRef.Uid && claimRef.Name == state.Claim;
            var reserved = claimRef.Name == state.Claim && string.IsNullOrEmpty(claimRef.Uid);
            if (!boundToLiveClaim && !reserved && claimRef.Name is var n && (n == state.TemporaryClaim || n == state.Claim))
                await _ops.PatchVolumeAsync(state.NewVolume!, new Dictionary<string, object?>
                {
                    // A merge patch: the old uid and resourceVersion go, the reservation by namespace and name stays.
                    ["spec"] = new Dictionary<string, object?>
                    {
                        ["claimRef"] = new Dictionary<string, object?>
                        {
                            ["namespace"] = state.Namespace, ["name"] = state.Claim, ["uid"] = null, ["resourceVersion"] = null,
                            ["kind"] = "PersistentVolumeClaim", ["apiVersion"] = "v1",
                        },
                    },
                }, ct);
        }
        _output.StepDone(StepNames.FreeNewVolume, $"persistentvolume/{state.NewVolume} reserved for persistentvolumeclaim/{state.Claim}");
    }

    // 10. Only now, and only with its volume Retain, does the original claim go.
    private async Task DeleteOriginalAsync(MigrationState state, CancellationToken ct)
    {
        var claim = await _ops.ClaimAsync(state.Namespace, state.Claim, ct);
        if (claim is null || claim.Spec?.VolumeName == state.NewVolume)
        {
            _output.StepDone(StepNames.DeleteOriginal, $"persistentvolumeclaim/{state.Claim} (on {state.OriginalVolume}) already gone");
            return;
        }
        if (claim.Spec?.VolumeName != state.OriginalVolume)
            throw new MigrationException($"persistentvolumeclaim {state.Claim} is bound to {claim.Spec?.VolumeName ?? "nothing"}, neither the original volume " +
                                         $"{state.OriginalVolume} nor the new one {state.NewVolume}: stopping; look at it before running again");
        await WaitNoPodsAsync(state, ct);
        // Checked last, right before the delete: the wait can be long, and the policy may have been changed meanwhile.
        await RequireRetainAsync(state.OriginalVolume, ct);
        await _ops.DeleteClaimAsync(claim, ct);
        _output.StepDone(StepNames.DeleteOriginal, $"persistentvolumeclaim/{state.Claim} deleted; persistentvolume/{state.OriginalVolume} (Retain) keeps the original data");
    }

    // 11. The same name, on the new volume.
    private async Task CreateMigratedAsync(MigrationState state, CancellationToken ct)
    {
        var claim = await _ops.ClaimAsync(state.Namespace, state.Claim, ct);
        if (claim is null)
        {
            await _ops.CreateClaimAsync(MigrationObjects.MigratedClaim(state, state.NewVolume!), ct);
            claim = await _ops.ClaimAsync(state.Namespace, state.Claim, ct);
        }
        if (claim?.Spec?.VolumeName != state.NewVolume)
            throw new MigrationException($"persistentvolumeclaim {state.Claim} exists but is not on the new volume {state.NewVolume}: stopping");
        await _ops.UntilAsync(async () => (await _ops.ClaimAsync(state.Namespace, state.Claim, ct))?.Status?.Phase == "Bound",
            $"persistentvolumeclaim {state.Claim} to bind persistentvolume {state.NewVolume}", _ops.Timings.Wait, ct);
        _output.StepDone(StepNames.CreateMigrated, $"persistentvolumeclaim/{state.Claim} Bound to {state.NewVolume}: ReadWriteMany on {state.TargetClass}");
    }

    private async Task ScaleUpAsync(MigrationState state, IEnumerable<(RecordedWorkload Workload, int Replicas)> targets, CancellationToken ct)
    {
        var list = targets.ToList();
        foreach (var (w, replicas) in list)
        {
            var (_, _, current, _) = await _ops.ReadWorkloadAsync(w.Kind, state.Namespace, w.Name, ct);
            if (current != replicas) await _ops.ScaleAsync(w.Kind, state.Namespace, w.Name, replicas, ct);
        }
        foreach (var (w, replicas) in list)
            await _ops.UntilAsync(async () =>
            {
                var (desired, ready, observed) = await _ops.RolloutAsync(w.Kind, state.Namespace, w.Name, ct);
                return observed && desired == replicas && ready >= replicas;
            }, $"{w} to have {replicas} ready replicas (kubectl get pods -n {state.Namespace}; webhook verify {w} -n {state.Namespace})", _ops.Timings.Wait, ct);
    }

    private async Task<MigrationState> FinishAsync(MigrationState state, CancellationToken ct)
    {
        var done = state with { Phase = MigrationState.Phases.Completed };
        await _ops.PatchClaimAnnotationsAsync(state.Namespace, state.Claim, new Dictionary<string, string?> { [MigrationAnnotations.State] = done.ToJson() }, ct);
        await UnlockAsync(state, ct);
        _output.StepDone(StepNames.Finish, $"lock removed; the backup is persistentvolume/{state.OriginalVolume}");
        return done;
    }

    /// <summary>Undoes a migration from whatever step it reached: the original claim on the original volume, the
    /// original replicas. Volumes are never deleted: a new volume that received the copy is left Retain, and named.</summary>
    public async Task RollbackAsync(MigrationState state, CancellationToken ct)
    {
        state = await LockAsync(state with { Phase = MigrationState.Phases.Migrating }, ct);
        var ns = state.Namespace;

        // Stop every copy that may still run, and every workload.
        var jobs = await K.BatchV1.ListNamespacedJobAsync(ns, labelSelector: $"{MigrationAnnotations.Prefix}claim={state.Claim}", cancellationToken: ct);
        foreach (var job in jobs.Items.Where(j => Finished(j) is null))
            await K.BatchV1.DeleteNamespacedJobAsync(job.Metadata.Name, ns, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: ct);
        await StopWorkloadsAsync(state, ct);
        await _ops.UntilAsync(async () => (await K.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"{MigrationAnnotations.Prefix}claim={state.Claim}", cancellationToken: ct))
            .Items.All(p => p.Status?.Phase is "Succeeded" or "Failed"), "the copy pods to stop", _ops.Timings.Wait, ct);
        await WaitNoPodsAsync(state, ct);
        _output.StepDone(StepNames.ScaleDown, $"{string.Join(", ", state.Workloads)} at 0 replicas; no copy running");

        // The claim of the original name: keep it when it is the original, otherwise take it off the new volume.
        var claim = await _ops.ClaimAsync(ns, state.Claim, ct);
        if (claim is not null && claim.Spec?.VolumeName != state.OriginalVolume)
        {
            if (claim.Spec?.VolumeName is { Length: > 0 } volume) await RetainAsync(volume, ct);
            await _ops.DeleteClaimAsync(claim, ct);
            _output.StepDone("remove-migrated-claim", $"persistentvolumeclaim/{state.Claim} on {claim.Spec?.VolumeName ?? "no volume"} deleted (its volume is Retain)");
            claim = null;
        }
        if (claim is null)
        {
            var original = await _ops.VolumeAsync(state.OriginalVolume, ct)
                           ?? throw new MigrationException($"persistentvolume {state.OriginalVolume} (the original data) is gone: nothing to roll back to");
            if (original.Spec.ClaimRef is { } claimRef && (await _ops.ClaimAsync(ns, claimRef.Name, ct))?.Metadata.Uid != claimRef.Uid)
                await _ops.PatchVolumeAsync(state.OriginalVolume, new Dictionary<string, object?> { ["spec"] = new Dictionary<string, object?> { ["claimRef"] = null } }, ct);
            await _ops.CreateClaimAsync(MigrationObjects.OriginalClaim(state), ct);
        }
        await _ops.UntilAsync(async () => await _ops.ClaimAsync(ns, state.Claim, ct) is { } c && c.Spec?.VolumeName == state.OriginalVolume && c.Status?.Phase == "Bound",
            $"persistentvolumeclaim {state.Claim} to bind the original persistentvolume {state.OriginalVolume}", _ops.Timings.Wait, ct);
        _output.StepDone("restore-original-claim", $"persistentvolumeclaim/{state.Claim} Bound to {state.OriginalVolume} ({string.Join(",", state.OriginalClaim.AccessModes)})");

        // The temporary claim goes; a volume that holds a copy stays, Retain.
        string? keptCopy = null;
        if (await _ops.ClaimAsync(ns, state.TemporaryClaim, ct) is { } temporary)
        {
            // Even a partial copy's volume is made Retain first: no claim is ever deleted with its data.
            if (temporary.Spec?.VolumeName is { Length: > 0 } copy)
            {
                await RetainAsync(copy, ct);
                keptCopy = copy;
            }
            await _ops.DeleteClaimAsync(temporary, ct);
        }
        if (state.NewVolume is not null && await _ops.VolumeAsync(state.NewVolume, ct) is not null) keptCopy = state.NewVolume;

        // The original volume's reclaim policy, as it was.
        await _ops.PatchVolumeAsync(state.OriginalVolume, new Dictionary<string, object?>
        {
            ["metadata"] = new Dictionary<string, object?> { ["annotations"] = new Dictionary<string, string?> { [MigrationAnnotations.OriginalReclaimPolicy] = null, [MigrationAnnotations.BackupOf] = null } },
            ["spec"] = new Dictionary<string, object?> { ["persistentVolumeReclaimPolicy"] = state.OriginalReclaimPolicy },
        }, ct);

        await ScaleUpAsync(state, state.Workloads.Select(w => (w, w.Replicas)), ct);
        _output.StepDone(StepNames.ScaleUp, string.Join(", ", state.Workloads.Select(w => $"{w} at {w.Replicas}")));
        await _ops.PatchClaimAnnotationsAsync(ns, state.Claim, new Dictionary<string, string?> { [MigrationAnnotations.State] = null }, ct);
        await UnlockAsync(state, ct);
        _output.StepDone(StepNames.Finish, "rolled back; lock removed");
        if (keptCopy is not null)
            _output.Info($"persistentvolume/{keptCopy} (the copy, Retain) is kept: delete it when you no longer need it: kubectl delete pv {keptCopy}");
        if (state.Snapshot is not null) _output.Info($"volumesnapshot/{state.Snapshot} is kept: kubectl delete volumesnapshot -n {ns} {state.Snapshot}");
    }

    /// <summary>The workloads lose the migration's annotations: lock, state, recorded replicas.</summary>
    private async Task UnlockAsync(MigrationState state, CancellationToken ct)
    {
        foreach (var w in state.Workloads)
            await _ops.PatchWorkloadAnnotationsAsync(w.Kind, state.Namespace, w.Name, new Dictionary<string, string?>
            {
                [MigrationAnnotations.Replicas] = null, [MigrationAnnotations.Lock] = null, [MigrationAnnotations.State] = null,
            }, ct);
    }

    private async Task RequireRetainAsync(string volume, CancellationToken ct)
    {
        var pv = await _ops.VolumeAsync(volume, ct) ?? throw new MigrationException($"persistentvolume {volume} not found");
        if (pv.Spec.PersistentVolumeReclaimPolicy != "Retain")
            throw new MigrationException($"persistentvolume {volume} is not Retain (it is {pv.Spec.PersistentVolumeReclaimPolicy}): refusing to delete its claim");
    }

    private async Task RetainAsync(string volume, CancellationToken ct)
    {
        if (await _ops.VolumeAsync(volume, ct) is { Spec.PersistentVolumeReclaimPolicy: not "Retain" })
            await _ops.PatchVolumeAsync(volume, new { spec = new { persistentVolumeReclaimPolicy = "Retain" } }, ct);
        await RequireRetainAsync(volume, ct);
    }

    private async Task WriteStateAsync(MigrationState state, CancellationToken ct)
    {
        await _ops.PatchWorkloadAnnotationsAsync(state.Primary.Kind, state.Namespace, state.Primary.Name,
            new Dictionary<string, string?> { [MigrationAnnotations.State] = state.ToJson() }, ct);
        await _ops.MirrorOnClaimAsync(state.Namespace, state.Claim, null, new Dictionary<string, string?> { [MigrationAnnotations.State] = state.ToJson() }, ct);
    }

    private static bool Same(RecordedWorkload a, RecordedWorkload b) => a.Kind == b.Kind && a.Name == b.Name;
}
