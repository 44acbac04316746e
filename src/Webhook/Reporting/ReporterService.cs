using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using RwxGuard.Domain;
using RwxGuard.Evaluation;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Telemetry;

namespace RwxGuard.Reporting;

/// <summary>
/// Background reporting: the replica holding the Lease re-evaluates the cluster view every Reporting:IntervalSeconds
/// with the same evaluation as <c>webhook audit</c> and keeps the cluster's reports equal to the results
/// (<see cref="ReportWriter"/>). Replicas without the lease write nothing, so several replicas never fight over the same
/// objects. Admission requests (dry-run or not) never write anything.
/// </summary>
/// <param name="client">The API connection; none (offline, or a view from manifests): reporting is off.</param>
public sealed partial class ReporterService(
    IClusterView view,
    LiveSettings<ReportingOptions> settings,
    LiveSettings<PolicyOptions> policy,
    LiveSettings<MutationOptions> mutation,
    WebhookMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers,
    IKubernetes? client = null) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<ReporterService>();

    /// <summary>True while this replica holds the lease (exposed for tests and metrics).</summary>
    public bool IsLeader { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = settings.Current;
        if (!options.Enabled || client is null || view.Status.Offline)
        {
            LogDisabled(!options.Enabled ? "Reporting:Enabled is false" : "no cluster connection (offline)");
            return;
        }

        var identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Guid.NewGuid():N}";
        var leaseNamespace = options.LeaseNamespace ?? Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "rwx-guard";
        var writer = new ReportWriter(client, metrics, loggers.CreateLogger<ReportWriter>());
        var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, leaseNamespace, options.LeaseName, identity))
        {
            LeaseDuration = TimeSpan.FromSeconds(options.LeaseDurationSeconds),
            RenewDeadline = TimeSpan.FromSeconds(options.RenewDeadlineSeconds),
            RetryPeriod = TimeSpan.FromSeconds(options.RetryPeriodSeconds),
        });

        CancellationTokenSource? leading = null;
        Task? work = null;
        elector.OnStartedLeading += () =>
        {
            IsLeader = true;
            LogLeading(identity, leaseNamespace, options.LeaseName);
            leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            work = ReportWhileLeadingAsync(writer, leading.Token);
        };
        elector.OnStoppedLeading += () =>
        {
            IsLeader = false;
            leading?.Cancel();
            writer.Reset(); // another replica may write while we do not lead
            LogStoppedLeading(identity);
        };

        // An exception escaping a BackgroundService stops the host: a bad Lease response must cost reporting a retry,
        // never the webhook itself.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await elector.RunAndTryToHoldLeadershipForeverAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogElectionFailed(e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(options.RetryPeriodSeconds), time, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
        leading?.Cancel();
        if (work is not null) await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReportWhileLeadingAsync(ReportWriter writer, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // A view that is not synced would report every workload as unknown: wait for it instead.
                if (view.Status.Ready)
                {
                    var api = ReportApi.Of(settings.Current.Format);
                    var now = time.GetUtcNow();
                    var dropped = 0;
                    await writer.SyncAsync(api, Reports(api, now, d => dropped += d), now, cancellationToken);
                    metrics.ReportResultsDropped.Add(dropped); // 0 too: the series exists before anything is dropped
                    if (dropped > 0) LogDropped(dropped, PolicyReportBuilder.MaxReports);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogReportFailed(e.Message);
            }
            try
            {
                // A view still syncing is looked at again within a second, not a whole interval later: the replica that
                // takes the lease at start would otherwise write its first reports a minute after the view is ready.
                var interval = TimeSpan.FromSeconds(settings.Current.IntervalSeconds);
                await Task.Delay(view.Status.Ready ? interval : TimeSpan.FromTicks(Math.Min(interval.Ticks, TimeSpan.TicksPerSecond)),
                    time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The reports, built one namespace at a time as the writer asks for them: a pass holds one namespace's results and
    /// reports, not the whole cluster's (at ten times the realistic shape, 220,000 results).
    /// </summary>
    private IEnumerable<PolicyReport> Reports(ReportApi api, DateTimeOffset now, Action<int> dropped)
    {
        var (policyNow, mutationNow) = (policy.Current, mutation.Current);
        foreach (var subjects in AuditSubjects.ExistingByNamespace(view))
        {
            var results = PolicyAudit.Evaluate(view, subjects, policyNow, mutationNow)
                .Where(r => !string.IsNullOrEmpty(r.Namespace)); // reports are namespaced
            var reports = PolicyReportBuilder.Build(results, now, api, out var left);
            dropped(left);
            foreach (var report in reports) yield return report;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "background reporting off: {Reason}")]
    private partial void LogDisabled(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} holds lease {Namespace}/{Lease}: writing policy reports")]
    private partial void LogLeading(string identity, string @namespace, string lease);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} lost the reporting lease: not writing reports")]
    private partial void LogStoppedLeading(string identity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader election failed (will retry): {Error}")]
    private partial void LogElectionFailed(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Dropped} results were left out of the reports: a namespace has more than {Reports} reports can hold")]
    private partial void LogDropped(int dropped, int reports);

    [LoggerMessage(Level = LogLevel.Warning, Message = "writing policy reports failed (will retry next interval): {Error}")]
    private partial void LogReportFailed(string error);
}
