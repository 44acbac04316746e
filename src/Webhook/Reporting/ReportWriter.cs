using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace RwxGuard.Reporting;

/// <summary>
/// Writes reports through the API server, only when their content changed, and removes the reports of namespaces that
/// no longer have results. Remembers what it wrote, so an unchanged cluster costs no write at all.
/// </summary>
public sealed partial class ReportWriter(IKubernetes client, ILogger<ReportWriter> logger)
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "rwx-guard";

    private readonly Dictionary<(string Namespace, string Name), string> _written = new();

    public long Writes { get; private set; }
    public long Deletes { get; private set; }

    /// <summary>Forget what was written (after losing the lease: another replica may have written since).</summary>
    public void Reset() => _written.Clear();

    public async Task SyncAsync(ReportKind kind, IReadOnlyList<NamespaceReport> reports, CancellationToken cancellationToken)
    {
        var wanted = reports.ToDictionary(r => (r.Namespace, r.Name));
        foreach (var report in reports)
        {
            if (_written.TryGetValue((report.Namespace, report.Name), out var hash) && hash == report.ContentHash) continue;
            await UpsertAsync(kind, report, cancellationToken);
            _written[(report.Namespace, report.Name)] = report.ContentHash;
            Writes++;
        }

        // Namespaces whose objects are gone (or clean): their stale reports disappear.
        foreach (var stale in _written.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
        {
            try
            {
                await client.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, stale.Namespace, kind.Plural,
                    stale.Name, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // already gone
            }
            _written.Remove(stale);
            Deletes++;
            LogDeleted(stale.Namespace, stale.Name);
        }
    }

    private async Task UpsertAsync(ReportKind kind, NamespaceReport report, CancellationToken cancellationToken)
    {
        var body = (JsonObject)report.Body.DeepClone();
        try
        {
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, kind.Group, kind.Version, report.Namespace,
                kind.Plural, cancellationToken: cancellationToken);
            LogWritten("created", report.Namespace, report.Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // It exists (written by a previous leader, or by us before a restart): replace it at its current version.
            var existing = await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version,
                report.Namespace, kind.Plural, report.Name, cancellationToken);
            var resourceVersion = JsonNode.Parse(KubernetesJson.Serialize(existing))?["metadata"]?["resourceVersion"]?.GetValue<string>();
            body["metadata"]!["resourceVersion"] = resourceVersion;
            await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(body, kind.Group, kind.Version, report.Namespace,
                kind.Plural, report.Name, cancellationToken: cancellationToken);
            LogWritten("updated", report.Namespace, report.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "report {Action}: {Namespace}/{Name}")]
    private partial void LogWritten(string action, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "stale report deleted: {Namespace}/{Name}")]
    private partial void LogDeleted(string @namespace, string name);
}
