namespace RwxGuard.Migrate;

/// <summary>How often a migration polls and how long it waits. Defaults suit a real cluster; tests shorten them.</summary>
public sealed record MigrationTimings
{
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Binding, pods going away, rollouts, snapshots.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>The copy Job (a big volume on a slow network file system takes hours).</summary>
    public TimeSpan Copy { get; init; } = TimeSpan.FromHours(24);
}
