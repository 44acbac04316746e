using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using RwxGuard.Options;
using RwxGuard.Domain;

namespace RwxGuard.Cluster;

public static class ClusterViewRegistration
{
    /// <summary>
    /// Registers <see cref="IClusterView"/>: the watch-fed <see cref="ClusterView"/> (also resolvable as itself, with
    /// its <see cref="IKubernetes"/> client) when an API connection is found, the manifests of Cluster:Manifests
    /// (<see cref="ManifestViewLoader"/>), else <see cref="OfflineClusterView"/>;
    /// the connection chosen (<see cref="ClusterConnectionInfo"/>); and a hosted service that logs the choice and runs
    /// the loops. The connection is decided here, from the Cluster section, so a bad kubeconfig stops the start.
    /// </summary>
    public static IServiceCollection AddClusterView(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
        ClusterConnectionInfo connection;
        try
        {
            connection = ClusterConnectionFactory.Resolve(options);
        }
        catch (Exception e) when (e is not SettingsException)
        {
            // An unreadable kubeconfig or a missing service account stops the start like any bad setting (exit 2).
            throw new SettingsException([$"Cluster:Connection ({options.Connection}): cannot configure the Kubernetes API client: {e.Message}"]);
        }
        if (connection.Source == ClusterConnectionSource.Manifests)
        {
            // Read now, so that a bad file stops the start (exit 2) like a bad kubeconfig does.
            var manifests = ManifestViewLoader.Load(options.Manifests!);
            connection = connection with { Description = $"{connection.Description} ({manifests.Status.Detail})" };
            services.AddSingleton<IClusterView>(manifests);
        }
        else if (connection.Configuration is { } kubernetes)
        {
            services.AddSingleton(_ => new Kubernetes(kubernetes));
            services.AddSingleton<IKubernetes>(sp => sp.GetRequiredService<Kubernetes>());
            services.AddSingleton(sp => new ClusterView(
                sp.GetRequiredService<Kubernetes>(),
                options,
                sp.GetService<TimeProvider>() ?? TimeProvider.System,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<ClusterView>()));
            services.AddSingleton<IClusterView>(sp => sp.GetRequiredService<ClusterView>());
        }
        else
        {
            services.AddSingleton<IClusterView, OfflineClusterView>();
        }
        services.AddSingleton(connection);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ClusterViewService>());
        return services;
    }
}
