using RwxGuard.Audit;
using RwxGuard.Options;

namespace RwxGuard.Cluster;

/// <summary>
/// Cluster:Manifests (--cluster-manifests FILE|DIR): the server's cluster view read once, at start, from manifest files
/// with the reader <c>webhook audit</c> uses, for demos, CI and air-gapped trials. Read-only: nothing is written anywhere,
/// and there is no API server to write to. The files are read at start only, like the rest of the Cluster section.
/// </summary>
internal static class ManifestViewLoader
{
    /// <summary>Objects without a namespace land where <c>kubectl apply</c> puts them.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>Every problem (unreadable path, invalid YAML with file:line:column, nothing usable) stops the start
    /// with the key named, like any bad setting. The reader and its bounds are <c>webhook audit</c>'s own.</summary>
    public static ManifestClusterView Load(string path)
    {
        var set = ManifestReader.ReadAsync([path], TextReader.Null, DefaultNamespace, ManifestLimits.Default, CancellationToken.None)
            .GetAwaiter().GetResult();
        var errors = set.Errors.Select(e => e.ToString()).ToList();
        if (errors.Count == 0 && set.Claims.Count + set.Workloads.Count + set.Autoscalers.Count + set.StorageClasses.Count == 0)
            errors.Add($"{path}: no PersistentVolumeClaim, workload, HorizontalPodAutoscaler or StorageClass found " +
                       $"({(set.Skipped.Count == 0 ? "no object at all" : "only " + string.Join(", ", set.Skipped.Select(s => $"{s.Value} {s.Key}")))})");
        if (errors.Count > 0) throw new SettingsException([.. errors.Select(e => $"Cluster:Manifests: {e}")]);
        return new ManifestClusterView(set.Claims, set.Workloads, set.Autoscalers, set.StorageClasses);
    }
}
