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

    public static AccessModes Parse(IEnumerable<string>? names)
    {
        var modes = AccessModes.None;
        if (names is null) return modes;
        foreach (var name in names)
        {
            modes |= name switch
            {
                "ReadWriteOnce" => AccessModes.ReadWriteOnce,
                "ReadOnlyMany" => AccessModes.ReadOnlyMany,
                "ReadWriteMany" => AccessModes.ReadWriteMany,
                "ReadWriteOncePod" => AccessModes.ReadWriteOncePod,
                _ => AccessModes.None, // unknown modes cannot make a claim multi-attach
            };
        }
        return modes;
    }

    /// <summary>The API's own spelling, comma separated, in the API's order: "ReadWriteOnce,ReadWriteOncePod".</summary>
    public static string Format(AccessModes modes)
    {
        if (modes == AccessModes.None) return "none";
        var parts = new List<string>(4);
        if (modes.HasFlag(AccessModes.ReadWriteOnce)) parts.Add("ReadWriteOnce");
        if (modes.HasFlag(AccessModes.ReadOnlyMany)) parts.Add("ReadOnlyMany");
        if (modes.HasFlag(AccessModes.ReadWriteMany)) parts.Add("ReadWriteMany");
        if (modes.HasFlag(AccessModes.ReadWriteOncePod)) parts.Add("ReadWriteOncePod");
        return string.Join(',', parts);
    }

    /// <summary>The short form kubectl prints in its ACCESS MODES column: "RWO,RWOP".</summary>
    public static string Short(AccessModes modes)
    {
        if (modes == AccessModes.None) return "none";
        var parts = new List<string>(4);
        if (modes.HasFlag(AccessModes.ReadWriteOnce)) parts.Add("RWO");
        if (modes.HasFlag(AccessModes.ReadOnlyMany)) parts.Add("ROX");
        if (modes.HasFlag(AccessModes.ReadWriteMany)) parts.Add("RWX");
        if (modes.HasFlag(AccessModes.ReadWriteOncePod)) parts.Add("RWOP");
        return string.Join(',', parts);
    }
}
