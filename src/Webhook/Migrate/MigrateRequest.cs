using RwxGuard.Policies;

namespace RwxGuard.Migrate;

/// <summary>What <c>webhook migrate</c> was asked to do (its flags).</summary>
public sealed record MigrateRequest
{
    /// <summary>BusyBox 1.37.0 (multi-arch index; digest as pinned by public manifests, see docs/migrate.md): sh, tar,
    /// find, stat, sha256sum, xargs, awk. ~4 MB, no package manager, no shell tricks needed.</summary>
    public const string DefaultCopyImage = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e";

    public required WorkloadRef Workload { get; init; }
    public required string Namespace { get; init; }
    public string? StorageClass { get; init; }
    public int? Replicas { get; init; }
    public string? Size { get; init; }
    /// <summary>Which claim, when the workload mounts several.</summary>
    public string? Claim { get; init; }
    public bool Snapshot { get; init; }
    public string CopyImage { get; init; } = DefaultCopyImage;
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public bool TakeOverLock { get; init; }
    /// <summary>"user@host", written into the lock.</summary>
    public required string Owner { get; init; }
    public required DateTimeOffset Now { get; init; }
}

/// <summary>One step of a migration (and of its plan printout). Names are stable: they appear in progress output.</summary>
public sealed record PlanStep(string Name, string Description);

/// <summary>The planner's answer: refusals (nothing may be done), or the steps with the state to record.</summary>
public sealed record MigrationPlan
{
    public IReadOnlyList<string> Refusals { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>Facts worth saying: who owns the objects, the values change that keeps the next sync from undoing this.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Preflight checks that passed, one line each.</summary>
    public IReadOnlyList<string> Checks { get; init; } = [];
    public MigrationState? State { get; init; }
    public IReadOnlyList<PlanStep> Steps { get; init; } = [];
    public bool Resuming { get; init; }
    public bool AlreadyCompleted { get; init; }
    public string Downtime { get; init; } = "";

    public bool Refused => Refusals.Count > 0;
}

public static class StepNames
{
    public const string Lock = "lock";
    public const string RetainOriginal = "retain-original-volume";
    public const string Snapshot = "snapshot";
    public const string CreateTemporary = "create-temporary-claim";
    public const string ScaleDown = "scale-down";
    public const string Copy = "copy";
    public const string RetainNew = "retain-new-volume";
    public const string ReleaseTemporary = "release-temporary-claim";
    public const string FreeNewVolume = "free-new-volume";
    public const string DeleteOriginal = "delete-original-claim";
    public const string CreateMigrated = "create-migrated-claim";
    public const string ScaleUp = "scale-up";
    public const string Verify = "verify";
    public const string Finish = "finish";
}
