using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>RFC 6901 JSON Pointer helpers.</summary>
public static class JsonPointer
{
    /// <summary>Escapes one reference token: '~' becomes "~0" and '/' becomes "~1" (in that order).</summary>
    public static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}

/// <summary>
/// The RFC 6902 patch that makes a claim ReadWriteMany on its target class. Only "add" operations: on an object member,
/// "add" creates it or replaces it, so the patch applies whether or not the API server defaulted the field first.
/// </summary>
public static class ClaimPatch
{
    public const string Unset = "(unset)";

    /// <param name="targetClass">The class to set; null keeps the claim's class.</param>
    public static IReadOnlyList<PatchOperation> Build(ClaimInfo claim, string? targetClass, string record)
    {
        var patch = new List<PatchOperation>(3);
        if (claim.SpecModes != AccessModes.ReadWriteMany)
            patch.Add(new PatchOperation("add", "/spec/accessModes", new PatchValue.TextList(["ReadWriteMany"])));
        if (targetClass is not null && claim.StorageClassName != targetClass)
            patch.Add(new PatchOperation("add", "/spec/storageClassName", new PatchValue.Text(targetClass)));

        // metadata.annotations may be absent: then the whole map is added (a pointer into a missing member fails).
        patch.Add(claim.Annotations.Count == 0
            ? new PatchOperation("add", "/metadata/annotations",
                new PatchValue.TextMap(new Dictionary<string, string> { [WellKnown.MutatedAnnotation] = record }))
            : new PatchOperation("add", "/metadata/annotations/" + JsonPointer.Escape(WellKnown.MutatedAnnotation),
                new PatchValue.Text(record)));
        return patch;
    }

    /// <summary>
    /// The annotation's value: "accessModes: A -> B; storageClassName: C -> D (source)". Each part appears only when
    /// that field changed; "(unset)" stands for a field the claim did not have.
    /// </summary>
    public static string Record(ClaimInfo claim, ClassChoice? choice)
    {
        var parts = new List<string>(2);
        if (claim.SpecModes != AccessModes.ReadWriteMany)
            parts.Add($"accessModes: {FormatModes(claim.SpecModes)} -> ReadWriteMany");
        if (choice is not null && claim.StorageClassName != choice.Class.Name)
            parts.Add($"storageClassName: {FormatClass(claim.StorageClassName)} -> {choice.Class.Name} ({choice.Source})");
        return string.Join("; ", parts);
    }

    /// <summary>The access modes as the API lists them.</summary>
    public static PatchValue Modes(AccessModes modes) => new PatchValue.TextList(AccessModeSet.Format(modes).Split(','));

    public static string FormatModes(AccessModes modes) => modes == AccessModes.None ? Unset : AccessModeSet.Format(modes);

    public static string FormatClass(string? name) => string.IsNullOrEmpty(name) ? Unset : name;
}
