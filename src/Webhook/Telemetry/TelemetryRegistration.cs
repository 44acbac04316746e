using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RwxGuard.Telemetry;

/// <summary>OpenTelemetry: Prometheus scraping on the metrics port, OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.</summary>
public static class TelemetryRegistration
{
    public static void AddWebhookTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WebhookMetrics>();
        builder.Services.AddHostedService<ObservedInstruments>();
        builder.Services.AddSingleton<IObservedComponent, ClusterViewInstruments>();
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("rwx-guard"))
            .WithMetrics(metrics =>
            {
                // Only our meter: the process may host other Kestrels (tests) whose metrics are not ours.
                metrics.AddMeter(WebhookMetrics.MeterName);
                metrics.AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            });
        if (otlp)
            otel.WithTracing(tracing => tracing.AddSource(WebhookMetrics.ActivitySourceName).AddOtlpExporter());

        if (!string.IsNullOrEmpty(builder.Configuration["KUBERNETES_SERVICE_HOST"]))
        {
            // In a cluster: one JSON object per line, for log collectors.
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        }
    }

    /// <summary>/metrics, answered only on the plain-HTTP metrics port.</summary>
    public static void MapMetricsEndpoint(this WebApplication app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").AddEndpointFilter(async (context, next) =>
            context.HttpContext.Request.IsHttps ? Results.NotFound() : await next(context));
}
