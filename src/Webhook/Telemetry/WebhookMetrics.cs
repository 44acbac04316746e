using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RwxGuard.Telemetry;

/// <summary>
/// Every instrument rwx-guard publishes, in one place. Names follow OpenTelemetry conventions (dot-separated,
/// unit in the instrument's unit); the Prometheus exporter turns "rwxguard.admission.duration" with unit "s" into
/// rwxguard_admission_duration_seconds. Attributes stay low-cardinality: never object names or uids.
/// </summary>
public sealed class WebhookMetrics : IDisposable
{
    public const string MeterName = "RwxGuard";
    public const string ActivitySourceName = "RwxGuard.Admission";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    private readonly Meter _meter;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        Requests = _meter.CreateCounter<long>("rwxguard.admission.requests", "{request}",
            "Admission requests answered, by webhook, operation, kind, decision, mode and dry_run.");
        Duration = _meter.CreateHistogram("rwxguard.admission.duration", "s",
            "Time from reading the first byte of an admission request to writing its response.",
            advice: new InstrumentAdvice<double>
            {
                // Sub-millisecond resolution (the decision is in memory), up to the API server's 5 s webhook timeout.
                HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 5],
            });
        PolicyResults = _meter.CreateCounter<long>("rwxguard.policy.results", "{finding}",
            "Policy findings by rule and kind (violation or warning), before the enforcement mode is applied.");
        Patches = _meter.CreateCounter<long>("rwxguard.mutation.patches", "{patch}",
            "JSON patches returned by the mutating webhook.");
        SettingsReloads = _meter.CreateCounter<long>("rwxguard.settings.reloads", "{reload}",
            "Settings file reloads, by section and result (success, failure or restart_required).");
        ReportWrites = _meter.CreateCounter<long>("rwxguard.report.writes", "{write}",
            "PolicyReport writes by the reporting leader, by operation (create, update, delete) and result (success or failure).");
        ReportResultsDropped = _meter.CreateCounter<long>("rwxguard.report.results.dropped", "{result}",
            "Results left out of the reports because their namespace had more than the reports can hold.");
    }

    public Counter<long> Requests { get; }
    public Histogram<double> Duration { get; }
    public Counter<long> PolicyResults { get; }
    public Counter<long> Patches { get; }
    public Counter<long> SettingsReloads { get; }
    public Counter<long> ReportWrites { get; }
    public Counter<long> ReportResultsDropped { get; }

    /// <summary>Registers an observable gauge on the same meter (cluster view, certificate expiry).</summary>
    public void ObserveGauge<T>(string name, string unit, string description, Func<IEnumerable<Measurement<T>>> observe)
        where T : struct => _meter.CreateObservableGauge(name, observe, unit, description);

    /// <summary>Registers an observable counter on the same meter (watch restarts, relists).</summary>
    public void ObserveCounter<T>(string name, string unit, string description, Func<IEnumerable<Measurement<T>>> observe)
        where T : struct => _meter.CreateObservableCounter(name, observe, unit, description);

    public void Dispose() => _meter.Dispose();
}
