using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RwxGuard.Domain;

namespace RwxGuard.Cluster;

/// <summary>
/// Runs the cluster view with the host: logs which connection was chosen (a loud banner when offline), starts the
/// list-then-watch loops without waiting for them to sync (/readyz reports that), and stops them on shutdown.
/// </summary>
internal sealed partial class ClusterViewService(ClusterConnectionInfo connection, IClusterView view, ILogger<ClusterViewService> logger)
    : IHostedService
{
    public const string OfflineBanner = """

        ======================================================================================
        OFFLINE: no Kubernetes API configured: no in-cluster service account, no --kubeconfig,
        no $KUBECONFIG and no ~/.kube/config (or Cluster:Connection is Offline).
        The cluster view is empty: every claim is unknown → claim-not-found behaviour, and
        workloads, autoscalers and storage classes are unknown too.
        Set --kubeconfig or Cluster:Connection to enforce against a real cluster.
        ======================================================================================
        """;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (connection.IsOffline)
        {
            LogOffline(logger, OfflineBanner);
            return Task.CompletedTask;
        }
        LogConnecting(logger, connection.Source, connection.Description);
        return view is ClusterView cluster ? cluster.StartAsync(cancellationToken) : Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        view is ClusterView cluster ? cluster.StopAsync(cancellationToken) : Task.CompletedTask;

    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "{Banner}")]
    private static partial void LogOffline(ILogger logger, string banner);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Cluster view: connecting through {Source}: {Description}")]
    private static partial void LogConnecting(ILogger logger, ClusterConnectionSource source, string description);
}
