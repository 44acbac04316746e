using RwxGuard.Options;
using RwxGuard.Cluster;
using RwxGuard.Tls;
using RwxGuard.Domain;

namespace RwxGuard;

/// <summary>
/// /healthz (the process answers) and /readyz (certificate loaded and cluster view synced; the settings file reported),
/// on the HTTPS port and on the plain-HTTP port (Server:MetricsPort), where the kubelet probes them.
/// </summary>
public static class HealthEndpoints
{
    public const string Healthz = "/healthz";
    public const string Readyz = "/readyz";

    public static bool Serves(PathString path) => path == Healthz || path == Readyz;

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Healthz, () => TypedResults.Text("ok\n"));
        app.MapGet(Readyz, (IServingCertificate certificate, IClusterView view, ShutdownCoordinator shutdown, SettingsReloader settings) =>
        {
            // kube-apiserver style: one [+]/[-] line per check, "readyz check passed" when all pass. A new check is
            // one more entry here (and one more parameter above).
            var status = settings.Status;
            var checks = new (string Name, bool Ok, string Detail)[]
            {
                ("serving-certificate", certificate.IsLoaded, certificate.Source),
                ("cluster-view", view.Status.Ready, view.Status.Detail),
                ("shutdown", !shutdown.IsStopping, shutdown.IsStopping ? "shutting down" : "running"),
                // Reported, never failing: a rejected settings file leaves the last good settings serving, and taking
                // every replica out of service over a typo would be worse.
                ("settings", true, status.Accepted ? status.Detail : "file on disk rejected: " + status.Detail),
            };
            var ok = checks.All(c => c.Ok);
            var lines = string.Concat(checks.Select(c => $"[{(c.Ok ? "+" : "-")}]{c.Name} {(c.Ok ? "ok" : "failed")}: {c.Detail}\n"));
            var body = lines + (ok ? "readyz check passed\n" : "readyz check failed\n");
            return Results.Text(body, "text/plain; charset=utf-8", statusCode: ok ? 200 : 503);
        });
    }
}
