using RwxGuard.Admission;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Tls;

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
        SettingsLoader.AddWebhookSources(builder.Configuration, args);
        configure?.Invoke(builder);
        SettingsLoader.ValidateAll(builder.Configuration);

        var server = SettingsLoader.Bind(builder.Configuration, ServerOptions.Section, new ServerOptionsValidator());
        builder.Services.AddValidatedOptions(builder.Configuration, ServerOptions.Section, new ServerOptionsValidator());
        builder.Services.AddValidatedOptions(builder.Configuration, ClusterOptions.Section, new ClusterOptionsValidator());
        builder.Services.AddValidatedOptions(builder.Configuration, PolicyOptions.Section, new PolicyOptionsValidator());
        builder.Services.AddValidatedOptions(builder.Configuration, MutationOptions.Section, new MutationOptionsValidator());
        builder.Services.AddSingleton(TimeProvider.System);

        builder.AddHttpsListener(server);
        builder.Services.AddClusterView(builder.Configuration);
        builder.Services.AddAdmission();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        overrideServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapHealthEndpoints();
        app.MapAdmissionEndpoints();
        return app;
    }
}
