using System.Diagnostics.Metrics;
using RwxGuard.Tls;

namespace RwxGuard.Telemetry;

/// <summary>
/// Gauges and counters read from the components that own the state (serving certificate, cluster view), registered
/// once at start. Observed at scrape time: nothing on the request path.
/// </summary>
public sealed class ObservedInstruments(WebhookMetrics metrics, IServingCertificate certificate, TimeProvider time,
    IEnumerable<IObservedComponent> components) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.ObserveGauge<double>("rwxguard.tls.certificate.expiry", "s",
            "Seconds until the serving certificate expires (negative once expired).",
            () => certificate.NotAfter is { } notAfter
                ? [new Measurement<double>((notAfter - time.GetUtcNow()).TotalSeconds)]
                : []);
        metrics.ObserveCounter<long>("rwxguard.tls.certificate.loads", "{load}",
            "Serving certificate loads by result (success, failure); failures keep the previous certificate.",
            () => [
                new Measurement<long>(certificate.LoadCount, new KeyValuePair<string, object?>("result", "success")),
                new Measurement<long>(certificate.FailedLoadCount, new KeyValuePair<string, object?>("result", "failure")),
            ]);
        foreach (var component in components) component.RegisterInstruments(metrics);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A component that publishes observable instruments (e.g. the cluster view's object counts).</summary>
public interface IObservedComponent
{
    void RegisterInstruments(WebhookMetrics metrics);
}
