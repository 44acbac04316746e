using System.Diagnostics.Metrics;
using RwxGuard.Cluster;
using RwxGuard.Domain;

namespace RwxGuard.Telemetry;

/// <summary>The cluster view's health as metrics: objects and sync state per resource, relists, watch restarts, failures.</summary>
public sealed class ClusterViewInstruments(IClusterView view, IServiceProvider services) : IObservedComponent
{
    public void RegisterInstruments(WebhookMetrics metrics)
    {
        var watched = services.GetService<ClusterView>(); // absent when offline
        metrics.ObserveGauge<int>("rwxguard.cluster_view.ready", "1",
            "1 when the cluster view can answer (synced, or offline), else 0.",
            () => [new Measurement<int>(view.Status.Ready ? 1 : 0, new KeyValuePair<string, object?>("offline", view.Status.Offline))]);
        if (watched is null) return;

        IEnumerable<Measurement<T>> PerResource<T>(Func<ResourceCacheStats, T> value) where T : struct =>
            watched.GetStats().Caches.Select(c => new Measurement<T>(value(c), new KeyValuePair<string, object?>("resource", c.Resource)));

        metrics.ObserveGauge("rwxguard.cluster_view.objects", "{object}", "Objects held in the cluster view.",
            () => PerResource(c => c.Objects));
        metrics.ObserveGauge("rwxguard.cluster_view.synced", "1", "1 once the resource's first list completed.",
            () => PerResource(c => c.Synced ? 1 : 0));
        metrics.ObserveCounter("rwxguard.cluster_view.relists", "{relist}", "Lists after the first (410 Expired, reconnects).",
            () => PerResource(c => c.Relists));
        metrics.ObserveCounter("rwxguard.cluster_view.watch_restarts", "{restart}", "Watches started again from the last resourceVersion.",
            () => PerResource(c => c.WatchRestarts));
        metrics.ObserveCounter("rwxguard.cluster_view.failures", "{failure}", "Failed list or watch requests.",
            () => PerResource(c => c.Failures));
    }
}
