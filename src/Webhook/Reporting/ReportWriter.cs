using System.Diagnostics;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using RwxGuard.Telemetry;

namespace RwxGuard.Reporting;

/// <summary>
/// Keeps the cluster's rwx-guard reports equal to the wanted ones, writing only what differs: each report is
/// created, replaced or deleted on its own (one failure is logged, counted and retried next time; the others are
/// written). What is in the cluster is learned by listing the reports rwx-guard owns (by label) when the writer starts
/// and every <see cref="ReconcileEvery"/> syncs: stale reports (an earlier leader's, a namespace gone clean) are
/// deleted and reports edited by someone else are put back.
/// </summary>
public sealed partial class ReportWriter(IKubernetes client, WebhookMetrics metrics, ILogger<ReportWriter> logger)
{
    /// <summary>Syncs between two listings of what is in the cluster.</summary>
    public const int ReconcileEvery = 10;

    private static readonly string OwnedSelector = $"{PolicyReportBuilder.ManagedByLabel}={PolicyReportBuilder.Source}";

    /// <summary>What the cluster holds, as far as this writer knows: content hash and resourceVersion per report.</summary>
    private readonly Dictionary<(string Namespace, string Name), (string Hash, string? ResourceVersion)> _known = new();
    private ReportApi? _api;
    private int _syncs;

    /// <summary>Forget what is known (after losing the lease: another replica may write meanwhile).</summary>
    public void Reset()
    {
        _known.Clear();
        _api = null;
        _syncs = 0;
    }

    /// <param name="wanted">Read once, in order; it may be built as it is read (one namespace at a time). If reading it
    /// fails, what was written stays and nothing is deleted.</param>
    public async Task SyncAsync(ReportApi api, IEnumerable<PolicyReport> wanted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_api != api || _syncs++ % ReconcileEvery == 0)
        {
            if (_api is not null && _api != api) Reset(); // Reporting:Format changed: the other kind's reports are not ours to track
            _api = api;
            await ListOwnedAsync(api, cancellationToken);
        }

        var keep = new HashSet<(string, string)>();
        var stamp = ReportTimestamp.Of(now);
        foreach (var report in wanted)
        {
            var key = (report.Metadata.Namespace!, report.Metadata.Name);
            keep.Add(key);
            var hash = ReportJson.ContentHash(report);
            if (_known.TryGetValue(key, out var known) && known.Hash == hash) continue;
            foreach (var result in report.Results) result.Timestamp = stamp;
            await TryAsync(_known.ContainsKey(key) ? "update" : "create", key, async () =>
            {
                var version = await UpsertAsync(api, report, _known.GetValueOrDefault(key).ResourceVersion, cancellationToken);
                _known[key] = (hash, version);
            });
        }

        foreach (var stale in _known.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            await TryAsync("delete", stale, async () =>
            {
                try
                {
                    await client.CustomObjects.DeleteNamespacedCustomObjectAsync(api.Group, api.Version, stale.Namespace, api.Plural,
                        stale.Name, cancellationToken: cancellationToken);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    // already gone
                }
                _known.Remove(stale);
            });
        }
    }

    /// <summary>Every report rwx-guard owns, read back: its hash says whether it still says what rwx-guard wrote.</summary>
    private async Task ListOwnedAsync(ReportApi api, CancellationToken cancellationToken)
    {
        _known.Clear();
        string? continueToken = null;
        do
        {
            var page = (JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync(api.Group, api.Version, api.Plural,
                continueParameter: continueToken, labelSelector: OwnedSelector, limit: 100, cancellationToken: cancellationToken);
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                if (ReportJson.Deserialize(item.GetRawText()) is not { Metadata.Namespace: { } ns } live) continue;
                _known[(ns, live.Metadata.Name)] = (ReportJson.ContentHash(live), live.Metadata.ResourceVersion);
            }
            continueToken = page.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("continue", out var next)
                            && next.GetString() is { Length: > 0 } token ? token : null;
        }
        while (continueToken is not null);
        LogListed(_known.Count, api.Kind);
    }

    /// <summary>Creates or replaces one report; returns its new resourceVersion.</summary>
    /// <param name="version">The version known to be in the cluster; null: believed absent.</param>
    private async Task<string?> UpsertAsync(ReportApi api, PolicyReport report, string? version, CancellationToken cancellationToken)
    {
        var (ns, name) = (report.Metadata.Namespace!, report.Metadata.Name);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                report.Metadata.ResourceVersion = version;
                return VersionOf(version is null
                    ? await client.CustomObjects.CreateNamespacedCustomObjectAsync(report, api.Group, api.Version, ns, api.Plural,
                        cancellationToken: cancellationToken)
                    : await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(report, api.Group, api.Version, ns, api.Plural,
                        name, cancellationToken: cancellationToken));
            }
            catch (HttpOperationException e) when (attempt == 0 && e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Created, changed or deleted by someone else since it was last read: read its version again (null:
                // gone), once.
                version = await CurrentVersionAsync(api, ns, name, cancellationToken);
            }
            finally
            {
                report.Metadata.ResourceVersion = null;
            }
        }
    }

    private async Task<string?> CurrentVersionAsync(ReportApi api, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return VersionOf(await client.CustomObjects.GetNamespacedCustomObjectAsync(api.Group, api.Version, ns, api.Plural, name,
                cancellationToken));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string? VersionOf(object response) =>
        response is JsonElement { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("metadata", out var meta)
        && meta.TryGetProperty("resourceVersion", out var version) ? version.GetString() : null;

    private async Task TryAsync(string operation, (string Namespace, string Name) report, Func<Task> write)
    {
        try
        {
            await write();
            metrics.ReportWrites.Add(1, new TagList { { "operation", operation }, { "result", "success" } });
            LogWritten(operation, report.Namespace, report.Name);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TimeoutException or IOException or JsonException)
        {
            // This report only: the others are written, and this one is tried again next time (it is not known as written).
            metrics.ReportWrites.Add(1, new TagList { { "operation", operation }, { "result", "failure" } });
            LogWriteFailed(operation, report.Namespace, report.Name, Describe(e));
        }
    }

    private static string Describe(Exception e) => e is HttpOperationException { Response: { } response }
        ? $"HTTP {(int)response.StatusCode}: {Text(response.Content)}"
        : e.Message;

    private static string Text(string? body) => string.IsNullOrEmpty(body) ? "(no body)" : body.Length <= 300 ? body : body[..300];

    [LoggerMessage(Level = LogLevel.Information, Message = "reports: {Count} {Kind}s owned by rwx-guard found in the cluster")]
    private partial void LogListed(int count, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "report {Operation}: {Namespace}/{Name}")]
    private partial void LogWritten(string operation, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "report {Operation} of {Namespace}/{Name} failed (tried again next interval): {Error}")]
    private partial void LogWriteFailed(string operation, string @namespace, string name, string error);
}
