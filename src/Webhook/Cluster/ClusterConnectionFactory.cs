using k8s;
using RwxGuard.Options;

namespace RwxGuard.Cluster;

public enum ClusterConnectionSource
{
    Offline,
    InCluster,
    /// <summary>Cluster:Kubeconfig (the --kubeconfig flag).</summary>
    KubeconfigSetting,
    /// <summary>$KUBECONFIG.</summary>
    KubeconfigEnvironment,
    /// <summary>~/.kube/config.</summary>
    KubeconfigHome,
    /// <summary>Cluster:Manifests (the --cluster-manifests flag): no API server at all.</summary>
    Manifests,
}

/// <summary>How the view reaches the API server; <see cref="Configuration"/> is null when offline or read from manifests.</summary>
public sealed record ClusterConnectionInfo(ClusterConnectionSource Source, string Description, KubernetesClientConfiguration? Configuration)
{
    public bool IsOffline => Source == ClusterConnectionSource.Offline;

    public static readonly ClusterConnectionInfo Offline = new(ClusterConnectionSource.Offline, "offline", null);
}

/// <summary>What the factory looks at on this machine; replaceable in tests.</summary>
public sealed record ClusterEnvironment(Func<bool> IsInCluster, Func<string, string?> GetEnvironmentVariable, string? HomeDirectory)
{
    public static ClusterEnvironment Current => new(
        KubernetesClientConfiguration.IsInCluster,
        Environment.GetEnvironmentVariable,
        Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
}

/// <summary>
/// Picks the API connection. Offline → none. InCluster → the pod's service account. Kubeconfig → Cluster:Kubeconfig.
/// Manifests, or Cluster:Manifests set → no API server: the view is read from those manifests. Auto → in-cluster when
/// running in a pod, else Cluster:Kubeconfig (--kubeconfig), else $KUBECONFIG, else ~/.kube/config when it exists,
/// else offline.
/// </summary>
public static class ClusterConnectionFactory
{
    public static ClusterConnectionInfo Resolve(ClusterOptions options) => Resolve(options, ClusterEnvironment.Current);

    public static ClusterConnectionInfo Resolve(ClusterOptions options, ClusterEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        // Asked for by name (a flag or key nobody sets by accident): it wins over whatever Auto would have found.
        if (options.Connection == ClusterConnection.Manifests || !string.IsNullOrEmpty(options.Manifests))
            return new ClusterConnectionInfo(ClusterConnectionSource.Manifests, $"manifests {options.Manifests}", null);
        switch (options.Connection)
        {
            case ClusterConnection.Offline:
                return ClusterConnectionInfo.Offline;
            case ClusterConnection.InCluster:
                return InCluster();
            case ClusterConnection.Kubeconfig:
                if (string.IsNullOrEmpty(options.Kubeconfig))
                    throw new InvalidOperationException("Cluster:Kubeconfig is required when Cluster:Connection is Kubeconfig");
                return FromFiles(ClusterConnectionSource.KubeconfigSetting, [options.Kubeconfig], "--kubeconfig");
        }

        if (environment.IsInCluster()) return InCluster();
        if (!string.IsNullOrEmpty(options.Kubeconfig))
            return FromFiles(ClusterConnectionSource.KubeconfigSetting, [options.Kubeconfig], "--kubeconfig");

        var variable = environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(variable))
        {
            // kubectl's rule: a path list; files that do not exist are skipped.
            var files = variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(File.Exists).ToArray();
            if (files.Length > 0) return FromFiles(ClusterConnectionSource.KubeconfigEnvironment, files, "$KUBECONFIG");
        }

        if (!string.IsNullOrEmpty(environment.HomeDirectory))
        {
            var home = Path.Combine(environment.HomeDirectory, ".kube", "config");
            if (File.Exists(home)) return FromFiles(ClusterConnectionSource.KubeconfigHome, [home], "~/.kube/config");
        }

        return ClusterConnectionInfo.Offline;
    }

    private static ClusterConnectionInfo InCluster()
    {
        var configuration = KubernetesClientConfiguration.InClusterConfig();
        return new ClusterConnectionInfo(ClusterConnectionSource.InCluster, $"in-cluster service account ({configuration.Host})", configuration);
    }

    private static ClusterConnectionInfo FromFiles(ClusterConnectionSource source, string[] files, string origin)
    {
        // KubernetesClient 21 has no public merge of several kubeconfig files: the first one that exists is used.
        var file = files[0];
        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(file);
        var context = string.IsNullOrEmpty(configuration.CurrentContext) ? "" : $", context {configuration.CurrentContext}";
        return new ClusterConnectionInfo(source, $"kubeconfig {file} from {origin} ({configuration.Host}{context})", configuration);
    }
}
