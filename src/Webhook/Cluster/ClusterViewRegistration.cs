namespace RwxGuard.Cluster;

public static class ClusterViewRegistration
{
    public static IServiceCollection AddClusterView(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IClusterView, OfflineClusterView>();
        return services;
    }
}
