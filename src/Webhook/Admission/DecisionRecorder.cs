using System.Diagnostics;
using RwxGuard.Policies;
using RwxGuard.Telemetry;

namespace RwxGuard.Admission;

/// <summary>
/// Records every answered request in one place: the request and finding counters, the duration histogram, the span's
/// decision tag and one log line. Attributes stay low-cardinality (never names or uids); the log line carries them.
/// </summary>
public sealed partial class DecisionRecorder(WebhookMetrics metrics, ILogger<DecisionRecorder> logger)
{
    public void Record(string webhook, DecisionRecord record, long started)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var mode = EnforcementModes.Label(record.Mode);
        var tags = new TagList
        {
            { "webhook", webhook }, { "operation", record.Operation }, { "kind", record.Kind },
            { "decision", record.Decision }, { "mode", mode }, { "dry_run", record.DryRun },
        };
        metrics.Requests.Add(1, tags);
        metrics.Duration.Record(seconds, tags);
        foreach (var finding in record.Findings)
            metrics.PolicyResults.Add(1, new TagList
            {
                { "rule", finding.Rule }, { "result", finding.Kind == FindingKind.Violation ? "violation" : "warning" },
                { "kind", record.Kind }, { "mode", mode },
            });
        if (record.Decision == Decisions.Patched)
            metrics.Patches.Add(1, new TagList { { "kind", record.Kind }, { "dry_run", record.DryRun } });
        Activity.Current?.SetTag("k8s.admission.decision", record.Decision);

        // Microseconds are enough, and JSON then prints 0.044, not 0.0437000…
        var elapsed = Math.Round(seconds * 1000, 3);
        // Names and uids come from the request: whoever can reach the port chooses them, so no control character
        // reaches a text log line (a newline would forge one).
        var target = LogText.Printable(record.Namespace is null ? record.Name ?? "" : $"{record.Namespace}/{record.Name}");
        var uid = LogText.Printable(record.Uid ?? "");
        if (record.Decision == Decisions.Error)
            LogError(webhook, uid, record.Kind, target, record.Operation, record.HttpStatus, LogText.Printable(record.Error ?? ""), elapsed);
        else
            LogDecided(webhook, uid, record.Kind, target, record.Operation, record.Decision,
                AdmissionDecision.RuleList(record.Findings), mode, record.DryRun, elapsed);
    }

    [LoggerMessage(Level = LogLevel.Information, EventName = "AdmissionDecision",
        Message = "{Webhook} uid={Uid} kind={Kind} object={Target} operation={Operation} decision={Decision} rules={Rules} mode={Mode} dryRun={DryRun} durationMs={DurationMs}")]
    private partial void LogDecided(string webhook, string uid, string kind, string target, string operation, string decision,
        string rules, string mode, bool dryRun, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning, EventName = "AdmissionError",
        Message = "{Webhook} uid={Uid} kind={Kind} object={Target} operation={Operation} status={Status} error={Error} durationMs={DurationMs}")]
    private partial void LogError(string webhook, string uid, string kind, string target, string operation, int status,
        string error, double durationMs);
}
