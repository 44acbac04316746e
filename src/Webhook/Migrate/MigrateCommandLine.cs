using RwxGuard.Mapping;
using System.CommandLine;
using System.Globalization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Cluster;
using RwxGuard.CommandLine;
using RwxGuard.Options;
using RwxGuard.Verify;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary><c>webhook migrate deployment/NAME -n NS [--storage-class C] [--apply | --rollback]</c> (docs/migrate.md).</summary>
public static class MigrateCommandLine
{
    public const int ExitDone = 0;
    /// <summary>Refused by the preflight, failed (resumable), or verify found a problem afterwards.</summary>
    public const int ExitFailed = 1;
    public const int ExitInterrupted = 130;

    private sealed record Flags(WorkloadRef Workload, string? Namespace, string? StorageClass, int? Replicas, string? Size, string? Claim, bool Apply,
        bool Rollback, bool Snapshot, string CopyImage, long? RunAsUser, long? RunAsGroup, bool TakeOverLock, bool Yaml, string? Kubeconfig,
        string? Config, MigrationTimings Timings);

    public static Command Create(CliConsole console)
    {
        var workload = new Argument<string>("workload") { Description = "deployment/NAME or statefulset/NAME whose claim moves to ReadWriteMany" };
        var ns = new Option<string>("--namespace", "-n") { Description = "the namespace (default: the kubeconfig context's, else default)" };
        var storageClass = new Option<string>("--storage-class") { Description = "the RWX-capable target class (default: the class the mutating webhook would choose)" };
        var replicas = new Option<int?>("--replicas") { Description = "replicas after the migration (default: as before)" };
        var size = new Option<string>("--size") { Description = "size of the new claim (default: the claim's capacity; never smaller)" };
        var claim = new Option<string>("--claim") { Description = "which claim, when the workload mounts several" };
        var apply = new Option<bool>("--apply") { Description = "do it (without: print the plan and change nothing); run again to resume" };
        var rollback = new Option<bool>("--rollback") { Description = "undo a migration from whatever step it reached" };
        var snapshot = new Option<bool>("--snapshot") { Description = "also take a VolumeSnapshot of the claim first and wait until it is ready" };
        var copyImage = new Option<string>("--copy-image") { Description = $"image of the copy Job (needs sh, tar, find, stat, sha256sum, xargs, awk; default {MigrateRequest.DefaultCopyImage})" };
        var runAsUser = new Option<long?>("--run-as-user") { Description = "uid of the copy under Pod Security \"restricted\" (default: the workload's runAsUser)" };
        var runAsGroup = new Option<long?>("--run-as-group") { Description = "gid of the copy under Pod Security \"restricted\"" };
        var takeOver = new Option<bool>("--take-over-lock") { Description = "continue (or roll back) a migration whose lock another, dead, run holds" };
        var output = new Option<string>("--output", "-o") { Description = "yaml: print every object the migration would create, for GitOps pipelines" };
        output.AcceptOnlyFromAmong("yaml");
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)" };
        var config = new Option<string>("--config") { Description = "rwx-guard's settings file (default: the installed ConfigMap rwx-guard/rwx-guard-settings)" };
        var timeout = new Option<double?>("--timeout") { Description = "seconds to wait for each binding, scaling and rollout (default 600)" };
        var poll = new Option<double?>("--poll-interval") { Description = "seconds between checks (default 2)", Hidden = true };

        workload.Validators.Add(WorkloadRef.Validate);
        replicas.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0) r.AddError("--replicas must be 0 or more"); });
        size.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            try { _ = new ResourceQuantity(r.Tokens[0].Value).ToDecimal(); }
            catch (Exception e) when (e is FormatException or ArgumentException) { r.AddError($"--size: '{r.Tokens[0].Value}' is not a quantity such as 8Gi"); }
        });
        var command = new Command("migrate", "Move a workload's ReadWriteOnce claim to ReadWriteMany on an RWX-capable class, keeping its name; plan, --apply, --rollback")
        {
            workload, ns, storageClass, replicas, size, claim, apply, rollback, snapshot, copyImage, runAsUser, runAsGroup, takeOver, output, kubeconfig, config, timeout, poll,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(apply) && r.GetValue(rollback)) r.AddError("--apply and --rollback exclude each other");
            if (r.GetValue(output) is not null && (r.GetValue(apply) || r.GetValue(rollback))) r.AddError("-o yaml prints the plan's objects: it changes nothing, so it goes without --apply/--rollback");
        });
        command.SetAction((r, ct) =>
        {
            WorkloadRef.TryParse(r.GetValue(workload)!, out var target);
            var timings = new MigrationTimings();
            if (r.GetValue(timeout) is { } t) timings = timings with { Wait = TimeSpan.FromSeconds(t) };
            if (r.GetValue(poll) is { } p) timings = timings with { Poll = TimeSpan.FromSeconds(p) };
            return RunAsync(console, new Flags(target!, r.GetValue(ns), r.GetValue(storageClass), r.GetValue(replicas), r.GetValue(size), r.GetValue(claim),
                r.GetValue(apply), r.GetValue(rollback), r.GetValue(snapshot), r.GetValue(copyImage) ?? MigrateRequest.DefaultCopyImage,
                r.GetValue(runAsUser), r.GetValue(runAsGroup), r.GetValue(takeOver), r.GetValue(output) == "yaml", r.GetValue(kubeconfig), r.GetValue(config), timings), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, Flags flags, CancellationToken ct)
    {
        var ui = new ConsoleUi(console);
        try
        {
            using var context = ClusterCommandContext.Connect(flags.Kubeconfig);
            var ns = flags.Namespace ?? context.DefaultNamespace ?? "default";
            var (policy, mutation, source) = await context.SettingsAsync(flags.Config, ct);
            var request = new MigrateRequest
            {
                Workload = flags.Workload, Namespace = ns, StorageClass = flags.StorageClass, Replicas = flags.Replicas, Size = flags.Size,
                Claim = flags.Claim, Snapshot = flags.Snapshot, CopyImage = flags.CopyImage, RunAsUser = flags.RunAsUser, RunAsGroup = flags.RunAsGroup,
                TakeOverLock = flags.TakeOverLock, Owner = $"{Environment.UserName}@{Environment.MachineName}", Now = DateTimeOffset.UtcNow,
            };
            var executor = new MigrationExecutor(context.Client, ui, request.Owner, flags.TakeOverLock, flags.Timings,
                (state, token) => VerifyCommandLine.CheckAsync(context.Client, ui, state, policy, mutation, source, token));

            if (flags.Rollback)
            {
                var recorded = await RecordedStateAsync(context.Client, request, ct);
                if (recorded is null)
                {
                    ui.Fail($"no migration is recorded on {flags.Workload} or its claims in namespace {ns} ({MigrationAnnotations.State}): nothing to roll back");
                    return ExitFailed;
                }
                ui.Info($"Rolling back the migration of claim {ns}/{recorded.Claim} (started {recorded.Started:u} by {recorded.Owner}).");
                await executor.RollbackAsync(recorded, ct);
                ui.Info($"Done: claim {recorded.Claim} is on persistentvolume/{recorded.OriginalVolume} again ({string.Join(",", recorded.OriginalClaim.AccessModes)}), replicas as before.");
                return ExitDone;
            }

            var snapshot = await ClusterReader.ReadAsync(context.Client, request, ct);
            var plan = MigrationPlanner.Plan(snapshot, request, mutation, policy);
            if (plan is { Refused: false, Resuming: false, State: { } planned })
            {
                var errors = await ClusterReader.DryRunAsync(context.Client, planned, ct);
                if (errors.Count > 0) plan = MigrationPlanner.Plan(snapshot with { DryRunErrors = errors }, request, mutation, policy);
            }

            if (flags.Yaml)
            {
                if (plan.Refused) { PrintPlan(ui, request, plan); return ExitFailed; }
                await console.Out.WriteAsync(Yaml(plan.State!));
                return ExitDone;
            }
            PrintPlan(ui, request, plan);
            if (plan.AlreadyCompleted)
            {
                ui.Info("Nothing to do: this claim was migrated already.");
                return ExitDone;
            }
            if (plan.Refused) return ExitFailed;
            if (!flags.Apply)
            {
                ui.Info("");
                ui.Info($"Plan only; nothing was changed. To do it: webhook migrate {flags.Workload} -n {ns}{(flags.StorageClass is null ? "" : $" --storage-class {flags.StorageClass}")} --apply");
                return ExitDone;
            }

            ui.Info("");
            var (final, healthy) = await executor.ApplyAsync(plan.State!, ct);
            PrintDone(ui, final, plan);
            return healthy ? ExitDone : ExitFailed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ui.Fail("interrupted. Every step so far is recorded in the cluster: run the same command again to resume, or --rollback to undo.");
            return ExitInterrupted;
        }
        catch (Exception e) when (e is MigrationException or HttpOperationException or HttpRequestException or SettingsException or System.Text.Json.JsonException)
        {
            var message = e switch
            {
                HttpOperationException or HttpRequestException => $"the API server answered: {ApiErrors.Describe(e)}",
                System.Text.Json.JsonException => $"the API server answered something unreadable: {e.Message}",
                _ => e.Message,
            };
            ui.Fail(message);
            if (flags.Apply || flags.Rollback)
                ui.Info($"Nothing that holds data was deleted. Run the same command again to resume{(flags.Rollback ? "" : ", or --rollback to undo")}.");
            return e is SettingsException ? WebhookCommandLine.ExitUsage : ExitFailed;
        }
    }

    /// <summary>The state on the workload, else on one of its claims (a completed migration keeps it on the claim only).</summary>
    private static async Task<MigrationState?> RecordedStateAsync(IKubernetes k, MigrateRequest request, CancellationToken ct)
    {
        var ops = new ClusterOperations(k, new MigrationTimings());
        var (annotations, _, _, template) = await ops.ReadWorkloadAsync(request.Workload.Kind, request.Namespace, request.Workload.Name, ct);
        if (MigrationState.FromAnnotations(annotations) is { } state) return state;
        foreach (var name in ModelMapping.ToPodTemplate(template, Retention.Transient).ClaimNames.Where(n => request.Claim is null || n == request.Claim))
            if (await ops.ClaimAsync(request.Namespace, name, ct) is { } claim && MigrationState.FromAnnotations(claim.Metadata.Annotations) is { } recorded)
                return recorded;
        return null;
    }

    private static void PrintPlan(ConsoleUi ui, MigrateRequest request, MigrationPlan plan)
    {
        var s = plan.State;
        ui.Info(s is null
            ? $"Migration of {request.Workload} in namespace {request.Namespace}"
            : $"{(plan.Resuming ? "Resuming the migration" : "Migration")} of persistentvolumeclaim {s.Namespace}/{s.Claim} " +
              $"({string.Join(",", s.OriginalClaim.AccessModes)}, {s.OriginalClaim.StorageClassName ?? "no class"}, volume {s.OriginalVolume}) " +
              $"to ReadWriteMany on storageclass {s.TargetClass}, {s.Size}");
        ui.Info("");
        ui.Info("Preflight:");
        foreach (var check in plan.Checks) ui.StepDone("ok", check);
        foreach (var refusal in plan.Refusals) ui.Fail(refusal);
        foreach (var warning in plan.Warnings) ui.Warn(warning);
        foreach (var note in plan.Notes) ui.Info($"  note: {note}");
        if (plan.Refused)
        {
            ui.Info("");
            ui.Info($"Refused: {plan.Refusals.Count} preflight {(plan.Refusals.Count == 1 ? "check" : "checks")} failed; nothing was changed.");
            return;
        }
        if (plan.Steps.Count == 0) return;
        ui.Info("");
        ui.Info("Steps:");
        var width = plan.Steps.Max(st => st.Name.Length);
        for (var i = 0; i < plan.Steps.Count; i++) ui.Info($"  {i + 1,2}. {plan.Steps[i].Name.PadRight(width)}  {plan.Steps[i].Description}");
        ui.Info("");
        ui.Info($"Downtime: {plan.Downtime}.");
    }

    private static void PrintDone(ConsoleUi ui, MigrationState s, MigrationPlan plan)
    {
        ui.Info("");
        ui.Info($"Migrated: persistentvolumeclaim {s.Namespace}/{s.Claim} is ReadWriteMany on {s.TargetClass}, persistentvolume/{s.NewVolume}.");
        ui.Info($"Kept: persistentvolume/{s.OriginalVolume} (Retain) holds the data as it was before: the backup.{(s.Snapshot is null ? "" : $" And volumesnapshot/{s.Snapshot}.")}");
        ui.Info($"  Undo:                         webhook migrate {s.Primary} -n {s.Namespace} --rollback");
        ui.Info($"  Delete the backup when sure:  kubectl patch pv {s.OriginalVolume} -p '{{\"spec\":{{\"persistentVolumeReclaimPolicy\":\"Delete\"}}}}' && kubectl delete pv {s.OriginalVolume}");
        ui.Info($"  The copy Job and its log:     kubectl logs -n {s.Namespace} job/{s.CopyJob}; kubectl delete job -n {s.Namespace} -l app.kubernetes.io/name=rwx-guard-migrate");
        ui.Info($"  The new volume is Retain; to let deleting the claim delete it: kubectl patch pv {s.NewVolume} -p '{{\"spec\":{{\"persistentVolumeReclaimPolicy\":\"{s.NewVolumeReclaimPolicy ?? "Delete"}\"}}}}'");
        foreach (var note in plan.Notes) ui.Info($"  note: {note}");
    }

    /// <summary>Every object the migration creates, for a GitOps pipeline. The new volume's name exists only once
    /// the temporary claim has bound, so the final claim carries a placeholder for it.</summary>
    private static string Yaml(MigrationState s)
    {
        const string placeholder = "VOLUME-OF-" + "TEMPORARY-CLAIM";
        var documents = new List<string>
        {
            $"# 1. persistentvolume/{s.OriginalVolume}: spec.persistentVolumeReclaimPolicy: Retain (patch, before anything else)\n" + KubernetesYaml.Serialize(MigrationObjects.TemporaryClaim(s)),
            $"# 2. with every workload mounting {s.Claim} at 0 replicas\n" + KubernetesYaml.Serialize(MigrationObjects.CopyJob(s)),
            $"# 3. after the copy: the new volume Retain, {s.TemporaryClaim} deleted, the new volume reserved for {s.Claim} (claimRef without uid), {s.Claim} deleted\n" +
            KubernetesYaml.Serialize(MigrationObjects.MigratedClaim(s with { Phase = MigrationState.Phases.Completed }, placeholder))
                .Replace(placeholder, $"<the volume {s.TemporaryClaim} bound>", StringComparison.Ordinal),
        };
        return string.Join("---\n", documents.Select(d => d.EndsWith('\n') ? d : d + "\n"));
    }
}
