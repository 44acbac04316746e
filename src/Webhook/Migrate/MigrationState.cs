using System.Text.Json;
using System.Text.Json.Serialization;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary>The annotations a migration writes: its state lives in the cluster, so any run can resume or undo it.</summary>
public static class MigrationAnnotations
{
    public const string Prefix = "migrate.rwx-guard.io/";
    /// <summary>JSON <see cref="MigrationState"/>: on the primary workload while migrating, and on the claim.</summary>
    public const string State = Prefix + "state";
    /// <summary>"&lt;owner&gt; since &lt;RFC 3339 time&gt;" on the primary workload: a second migration refuses.</summary>
    public const string Lock = Prefix + "lock";
    /// <summary>The replicas a workload had before it was scaled to 0.</summary>
    public const string Replicas = Prefix + "replicas";
    /// <summary>On a volume set to Retain: the reclaim policy it had.</summary>
    public const string OriginalReclaimPolicy = Prefix + "original-reclaim-policy";
    /// <summary>On the original volume: "&lt;namespace&gt;/&lt;claim&gt;" whose data it holds (the backup).</summary>
    public const string BackupOf = Prefix + "backup-of";
    /// <summary>On the new volume: the volume its data was copied from.</summary>
    public const string MigratedFrom = Prefix + "migrated-from";
    /// <summary>On the temporary claim and the copy Job: the claim they serve.</summary>
    public const string TemporaryFor = Prefix + "temporary-for";
}

/// <summary>A workload that mounts the claim and is scaled to 0 while the data is copied.</summary>
public sealed record RecordedWorkload(WorkloadKind Kind, string Name, int Replicas)
{
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}/{Name}";
}

/// <summary>What is needed to create the original claim again (rollback): its spec and metadata as they were.</summary>
public sealed record ClaimTemplate
{
    public required IReadOnlyList<string> AccessModes { get; init; }
    public string? StorageClassName { get; init; }
    public required string Size { get; init; }
    public string? VolumeMode { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// One migration, as recorded in <see cref="MigrationAnnotations.State"/>. Written before the first change and updated
/// as facts become known (the new volume's name), so a run that starts from nothing but the cluster can finish or undo
/// it. Everything a step needs to decide whether it is done comes from here and from the objects themselves.
/// </summary>
public sealed record MigrationState
{
    public int Version { get; init; } = 1;
    public required string Namespace { get; init; }
    public required string Claim { get; init; }
    public required RecordedWorkload Primary { get; init; }
    public required IReadOnlyList<RecordedWorkload> Workloads { get; init; }
    public required string OriginalVolume { get; init; }
    public required string OriginalReclaimPolicy { get; init; }
    public required ClaimTemplate OriginalClaim { get; init; }
    public required string TargetClass { get; init; }
    public required string Size { get; init; }
    public required string TemporaryClaim { get; init; }
    public string? NewVolume { get; init; }
    public string? NewVolumeReclaimPolicy { get; init; }
    /// <summary>Replicas to scale the primary workload to at the end (--replicas); null: as before.</summary>
    public int? ReplicasAfter { get; init; }
    public required string CopyImage { get; init; }
    public int CopyAttempt { get; init; } = 1;
    public string? Snapshot { get; init; }
    public CopySecurity Security { get; init; } = new();
    public required string Owner { get; init; }
    public required DateTimeOffset Started { get; init; }
    /// <summary>"migrating", then "completed" (kept on the new claim: a later --rollback still knows the backup).</summary>
    public string Phase { get; init; } = Phases.Migrating;

    public string CopyJob => Names.Bounded($"{Claim}-rwx-guard-copy-{CopyAttempt}");

    public static class Phases
    {
        public const string Migrating = "migrating";
        public const string Completed = "completed";
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Null when absent; throws <see cref="MigrationException"/> when present but unreadable (never guess).</summary>
    public static MigrationState? FromAnnotations(IDictionary<string, string>? annotations)
    {
        if (annotations is null || !annotations.TryGetValue(MigrationAnnotations.State, out var json)) return null;
        try
        {
            return JsonSerializer.Deserialize<MigrationState>(json, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new MigrationException($"annotation {MigrationAnnotations.State} cannot be read ({e.Message}); fix or remove it by hand");
        }
    }
}

/// <summary>Who the copy runs as, from the workload's own pod and container security contexts (or the flags).</summary>
public sealed record CopySecurity
{
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public long? FsGroup { get; init; }
    /// <summary>Root with the default capabilities (to keep every owner), or the workload's user with none.</summary>
    public bool AsRoot { get; init; }
}

/// <summary>A migration that must stop: the message says why and what to do.</summary>
public sealed class MigrationException(string message) : Exception(message);

internal static class Names
{
    /// <summary>Kubernetes names are at most 63 characters for labels and Job pods: cut and keep a stable suffix.</summary>
    public static string Bounded(string name) => name.Length <= 63 ? name : name[..52].TrimEnd('-', '.') + "-" +
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..10];

    public static string TemporaryClaim(string claim) => Bounded($"{claim}-rwx-guard-migration");
}
