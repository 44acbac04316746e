using RwxGuard.Admission;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Reporting;
using RwxGuard.Telemetry;
using RwxGuard.Tls;
using RwxGuard.Policies;

namespace RwxGuard;

/// <summary>The composition root: settings, TLS, cluster view, policies, endpoints.</summary>
public static class WebhookHost
{
    /// <param name="configure">Test hook: extra configuration sources, applied before settings are validated.</param>
    /// <param name="overrideServices">Test hook: replaces registrations (e.g. the cluster view) after the defaults.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null,
        Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        var settingsFile = SettingsLoader.AddWebhookSources(builder.Configuration, args);
        configure?.Invoke(builder);
        SettingsLoader.ValidateAll(builder.Configuration);

        var server = SettingsLoader.Bind(builder.Configuration, ServerOptions.Section, new ServerOptionsValidator());
        // Server applies at start only (ports, certificates, limits); the sections below follow the settings file.
        builder.Services.AddSingleton(server);
        // The sections that follow the settings file while running.
        builder.Services.AddLiveSettings(builder.Configuration, PolicyOptions.Section, new PolicyOptionsValidator());
        builder.Services.AddLiveSettings(builder.Configuration, MutationOptions.Section, new MutationOptionsValidator());
        builder.Services.AddLiveSettings(builder.Configuration, ReportingOptions.Section, new ReportingOptionsValidator());
        builder.Services.AddSingleton(sp => new SettingsReloader(settingsFile, builder.Configuration, sp.GetServices<ISettingsSection>(),
            server, sp.GetRequiredService<WebhookMetrics>(), sp.GetRequiredService<ILogger<SettingsReloader>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SettingsReloader>());
        builder.Services.AddSingleton<ReporterService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReporterService>());
        builder.Services.AddSingleton(TimeProvider.System);

        builder.AddHttpsListener(server);
        builder.AddWebhookTelemetry();
        if (server.MetricsPort >= 0)
            builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(server.MetricsPort)); // plain HTTP: /metrics and probes
        builder.Services.AddClusterView(builder.Configuration);
        builder.Services.AddAdmission();
        builder.Services.AddSingleton(sp => new ShutdownCoordinator(TimeSpan.FromSeconds(server.ShutdownDelaySeconds),
            sp.GetRequiredService<ILogger<ShutdownCoordinator>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ShutdownCoordinator>());
        builder.Services.Configure<HostOptions>(o =>
            o.ShutdownTimeout = TimeSpan.FromSeconds(server.ShutdownDelaySeconds + server.ShutdownTimeoutSeconds));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        overrideServices?.Invoke(builder.Services);

        var app = builder.Build();
        // The plain-HTTP port serves /metrics and the kubelet's probes (which carry no client certificate, so they
        // cannot use the HTTPS port once Server:ClientCaFile is set) and nothing else: admission stays HTTPS-only.
        app.Use((context, next) =>
        {
            if (context.Request.IsHttps || context.Request.Path == "/metrics" || HealthEndpoints.Serves(context.Request.Path))
                return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        app.MapMetricsEndpoint();
        app.MapHealthEndpoints();
        app.MapAdmissionEndpoints();
        return app;
    }
}
