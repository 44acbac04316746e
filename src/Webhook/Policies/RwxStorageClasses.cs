using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>The class a claim is moved to, and why (recorded in the claim's annotation).</summary>
/// <param name="Source">
/// "Mutation:Namespaces:&lt;ns&gt;:StorageClass", "Mutation:StorageClass", "discovered: annotation rwx-guard.io/rwx"
/// or "discovered: provisioner &lt;name&gt;".
/// </param>
/// <param name="Tied">Other discovered classes of the same rank that lost only on the tie-break (cluster default, name).</param>
public sealed record ClassChoice(StorageClassInfo Class, string Source, IReadOnlyList<StorageClassInfo> Tied);

/// <summary>A configured class (namespace or global setting) that the cluster does not have.</summary>
public sealed record MissingClass(string SettingKey, string Name);

public sealed record ClassResolution(ClassChoice? Choice, IReadOnlyList<MissingClass> Missing);

/// <summary>
/// The cluster's StorageClasses seen through the mutation settings: which ones can serve ReadWriteMany, and which one a
/// claim in a given namespace should get. Pure: a list of classes and the settings in, decisions out.
/// </summary>
/// <remarks>
/// Target order: the namespace's class (Mutation:Namespaces:&lt;ns&gt;:StorageClass), the configured class
/// (Mutation:StorageClass), then discovery. A configured class the cluster does not have is reported and skipped.
/// Discovery ranks every candidate by, in order: annotated rwx-guard.io/rwx: "true" first; position of its provisioner
/// in Mutation:RwxProvisioners (unknown provisioners last); the cluster default class first; name (ordinal).
/// Classes annotated rwx-guard.io/rwx: "false" are never discovered.
/// </remarks>
public sealed class RwxStorageClasses(IReadOnlyList<StorageClassInfo> classes, MutationOptions options, string @namespace)
{
    private readonly IReadOnlyList<string> _provisioners = options.EffectiveRwxProvisioners;
    private readonly string? _namespaceClass = options.NamespaceStorageClass(@namespace);
    private readonly string? _configuredClass = string.IsNullOrEmpty(options.StorageClass) ? null : options.StorageClass;

    public StorageClassInfo? Find(string name) => classes.FirstOrDefault(c => c.Name == name);

    /// <summary>
    /// The class a claim will really be provisioned with: the one it names, or with no name the cluster default (the
    /// PV controller assigns it later). Several defaults: the first by name, a stable stand-in for "the newest" that
    /// Kubernetes picks, which this view cannot tell.
    /// </summary>
    public StorageClassInfo? EffectiveClassOf(ClaimInfo claim) =>
        claim.StorageClassName is { Length: > 0 } name ? Find(name) : DefaultClass(classes);

    /// <summary>The cluster default class; with several, the first by name (what the mutator assumes throughout).</summary>
    public static StorageClassInfo? DefaultClass(IEnumerable<StorageClassInfo> classes) =>
        classes.Where(c => c.IsDefault).OrderBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();

    /// <summary>
    /// A class rwx-guard trusts with ReadWriteMany: configured for this namespace or globally, annotated
    /// rwx-guard.io/rwx: "true", or (unless annotated "false") provisioned by a known RWX provisioner.
    /// </summary>
    public bool IsRwxCapable(StorageClassInfo storageClass) =>
        storageClass.Name == _namespaceClass || storageClass.Name == _configuredClass || Rank(storageClass) is not null;

    public ClassResolution Resolve()
    {
        var missing = new List<MissingClass>(2);
        foreach (var (key, name) in ConfiguredInOrder())
        {
            if (Find(name) is { } found) return new ClassResolution(new ClassChoice(found, key, []), missing);
            missing.Add(new MissingClass(key, name));
        }

        var ranked = classes
            .Select(c => (Class: c, Rank: Rank(c)))
            .Where(x => x.Rank is not null)
            .Select(x => (x.Class, Rank: x.Rank!.Value))
            .OrderBy(x => x.Rank.Annotated ? 0 : 1)
            .ThenBy(x => x.Rank.ProvisionerIndex)
            .ThenBy(x => x.Class.IsDefault ? 0 : 1)
            .ThenBy(x => x.Class.Name, StringComparer.Ordinal)
            .ToList();
        if (ranked.Count == 0) return new ClassResolution(null, missing);

        var (chosen, rank) = ranked[0];
        var tied = ranked.Skip(1)
            .Where(x => x.Rank.Annotated == rank.Annotated && x.Rank.ProvisionerIndex == rank.ProvisionerIndex)
            .Select(x => x.Class)
            .ToList();
        var source = rank.Annotated
            ? $"discovered: annotation {WellKnown.RwxClassAnnotation}"
            : $"discovered: provisioner {chosen.Provisioner}";
        return new ClassResolution(new ClassChoice(chosen, source, tied), missing);
    }

    private IEnumerable<(string Key, string Name)> ConfiguredInOrder()
    {
        if (_namespaceClass is not null) yield return ($"Mutation:Namespaces:{@namespace}:StorageClass", _namespaceClass);
        if (_configuredClass is not null) yield return ("Mutation:StorageClass", _configuredClass);
    }

    /// <summary>Null: not a discovery candidate.</summary>
    private DiscoveryRank? Rank(StorageClassInfo storageClass)
    {
        storageClass.Annotations.TryGetValue(WellKnown.RwxClassAnnotation, out var marker);
        if (string.Equals(marker, "false", StringComparison.OrdinalIgnoreCase)) return null;
        var annotated = string.Equals(marker, "true", StringComparison.OrdinalIgnoreCase);
        var index = ProvisionerIndex(storageClass.Provisioner);
        if (!annotated && index == int.MaxValue) return null;
        return new DiscoveryRank(annotated, index);
    }

    private int ProvisionerIndex(string provisioner)
    {
        for (var i = 0; i < _provisioners.Count; i++)
        {
            if (Glob.Matches(_provisioners[i], provisioner)) return i;
        }
        return int.MaxValue;
    }

    private readonly record struct DiscoveryRank(bool Annotated, int ProvisionerIndex);
}
