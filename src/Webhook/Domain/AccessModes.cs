namespace RwxGuard.Domain;

/// <summary>PersistentVolume access modes as a set.</summary>
[Flags]
public enum AccessModes
{
    None = 0,
    ReadWriteOnce = 1,
    ReadOnlyMany = 2,
    ReadWriteMany = 4,
    ReadWriteOncePod = 8,
}

public static class AccessModeSet
{
    /// <summary>Modes that several nodes can attach at once.</summary>
    public const AccessModes MultiAttach = AccessModes.ReadWriteMany | AccessModes.ReadOnlyMany;

    /// <summary>Each mode with the API's name and kubectl's short form, in the API's order.</summary>
    private static readonly (AccessModes Mode, string Name, string Short)[] Names =
    [
        (AccessModes.ReadWriteOnce, "ReadWriteOnce", "RWO"),
        (AccessModes.ReadOnlyMany, "ReadOnlyMany", "ROX"),
        (AccessModes.ReadWriteMany, "ReadWriteMany", "RWX"),
        (AccessModes.ReadWriteOncePod, "ReadWriteOncePod", "RWOP"),
    ];

    public static AccessModes Parse(IEnumerable<string>? names)
    {
        var modes = AccessModes.None;
        foreach (var name in names ?? [])
            foreach (var known in Names)
                if (known.Name == name) modes |= known.Mode; // unknown modes cannot make a claim multi-attach
        return modes;
    }

    /// <summary>The API's own spelling, comma separated, in the API's order: "ReadWriteOnce,ReadWriteOncePod".</summary>
    public static string Format(AccessModes modes) => Join(modes, n => n.Name);

    /// <summary>The short form kubectl prints in its ACCESS MODES column: "RWO,RWOP".</summary>
    public static string Short(AccessModes modes) => Join(modes, n => n.Short);

    private static string Join(AccessModes modes, Func<(AccessModes Mode, string Name, string Short), string> name) =>
        modes == AccessModes.None ? "none" : string.Join(',', Names.Where(n => modes.HasFlag(n.Mode)).Select(name));
}
