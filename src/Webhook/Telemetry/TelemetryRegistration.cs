using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ZLogger;

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

        // ZLogger instead of the built-in console logger: one line per admission decision at thousands of decisions per
        // second is a real load. The built-in logger writes and flushes every line from a thread it wakes per line
        // (measured: ~50 µs of CPU per decision on this 2-core VM, a third of the request); ZLogger formats to UTF-8
        // and writes in batches from one background task.
        var inCluster = !string.IsNullOrEmpty(builder.Configuration["KUBERNETES_SERVICE_HOST"]);
        // Only the built-in console provider goes: providers added before (tests capture logs this way) stay.
        foreach (var console in builder.Services.Where(d => d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
            builder.Services.Remove(console);
        builder.Logging.AddZLoggerConsole(options => ConfigureLogOutput(options, json: inCluster));
    }

    /// <summary>Log line format and queueing: JSON objects in a cluster, one readable line per entry elsewhere.</summary>
    public static void ConfigureLogOutput(ZLoggerOptions options, bool json)
    {
        // When stdout stalls (a blocked log pipe), admission must not wait on it and memory must not grow without
        // bound: past 10,000 queued lines new ones are dropped. Every decision is still counted in
        // rwxguard_admission_requests_total and answered with its warnings.
        options.FullMode = BackgroundBufferFullMode.Drop;
        options.BackgroundBufferCapacity = 10_000;
        if (json)
        {
            // In a cluster: one JSON object per line with every structured field, for log collectors.
            options.UseJsonFormatter();
            return;
        }
        options.UsePlainTextFormatter(text => text.SetPrefixFormatter($"{0:short} {1}[{2}]: ",
            (in MessageTemplate template, in LogInfo info) => template.Format(info.LogLevel, info.Category, info.EventId.Id)));
    }

    /// <summary>/metrics, answered only on the plain-HTTP metrics port.</summary>
    public static void MapMetricsEndpoint(this WebApplication app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").AddEndpointFilter(async (context, next) =>
            context.HttpContext.Request.IsHttps ? Results.NotFound() : await next(context));
}
