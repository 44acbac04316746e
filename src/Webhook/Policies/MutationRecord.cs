using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>How the claim mutator's changes are written down: the value of the rwx-guard.io/mutated annotation.</summary>
public static class MutationRecord
{
    public const string Unset = "(unset)";

    /// <summary>
    /// "accessModes: A -> B; storageClassName: C -> D (source)". Each part appears only when that field changed;
    /// "(unset)" stands for a field the claim did not have.
    /// </summary>
    public static string Describe(ClaimInfo claim, ClassChoice? choice)
    {
        var parts = new List<string>(2);
        if (claim.SpecModes != AccessModes.ReadWriteMany)
            parts.Add($"accessModes: {FormatModes(claim.SpecModes)} -> ReadWriteMany");
        if (choice is not null && claim.StorageClassName != choice.Class.Name)
            parts.Add($"storageClassName: {FormatClass(claim.StorageClassName)} -> {choice.Class.Name} ({choice.Source})");
        return string.Join("; ", parts);
    }

    public static string FormatModes(AccessModes modes) => modes == AccessModes.None ? Unset : AccessModeSet.Format(modes);

    public static string FormatClass(string? name) => string.IsNullOrEmpty(name) ? Unset : name;
}
