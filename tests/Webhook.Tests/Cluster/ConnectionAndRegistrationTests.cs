using System.Collections.Concurrent;
using k8s;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Cluster;

public sealed class ConnectionAndRegistrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rwx-guard-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Kubeconfig(string name, string server)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {name}
              cluster:
                server: {server}
            contexts:
            - name: {name}-context
              context:
                cluster: {name}
                user: {name}-user
            current-context: {name}-context
            users:
            - name: {name}-user
              user:
                token: not-a-real-token
            """);
        return path;
    }

    private static ClusterEnvironment Environment(bool inCluster = false, string? kubeconfigVariable = null, string? home = null) =>
        new(() => inCluster, name => name == "KUBECONFIG" ? kubeconfigVariable : null, home);

    [Fact]
    public void Offline_setting_is_offline_whatever_exists()
    {
        var info = ClusterConnectionFactory.Resolve(new ClusterOptions { Connection = ClusterConnection.Offline, Kubeconfig = Kubeconfig("a", "https://a.example:6443") },
            Environment(inCluster: true));
        Assert.True(info.IsOffline);
        Assert.Equal(ClusterConnectionSource.Offline, info.Source);
    }

    [Fact]
    public void Auto_prefers_the_setting_then_KUBECONFIG_then_home_then_offline()
    {
        var setting = Kubeconfig("setting", "https://setting.example:6443");
        var variable = Kubeconfig("variable", "https://variable.example:6443");
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(Path.Combine(home, ".kube"));
        File.Copy(Kubeconfig("home-cluster", "https://home.example:6443"), Path.Combine(home, ".kube", "config"));
        var auto = new ClusterOptions { Connection = ClusterConnection.Auto };

        var fromSetting = ClusterConnectionFactory.Resolve(new ClusterOptions { Kubeconfig = setting }, Environment(kubeconfigVariable: variable, home: home));
        Assert.Equal((ClusterConnectionSource.KubeconfigSetting, "https://setting.example:6443/"), (fromSetting.Source, fromSetting.Configuration!.Host.TrimEnd('/') + "/"));
        Assert.Contains("--kubeconfig", fromSetting.Description, StringComparison.Ordinal);

        var missing = Path.Combine(_dir, "missing");
        var fromVariable = ClusterConnectionFactory.Resolve(auto, Environment(kubeconfigVariable: $"{missing}{Path.PathSeparator}{variable}", home: home));
        Assert.Equal(ClusterConnectionSource.KubeconfigEnvironment, fromVariable.Source);
        Assert.StartsWith("https://variable.example:6443", fromVariable.Configuration!.Host);

        var fromHome = ClusterConnectionFactory.Resolve(auto, Environment(home: home));
        Assert.Equal(ClusterConnectionSource.KubeconfigHome, fromHome.Source);
        Assert.StartsWith("https://home.example:6443", fromHome.Configuration!.Host);

        Assert.True(ClusterConnectionFactory.Resolve(auto, Environment(home: Path.Combine(_dir, "nobody"))).IsOffline);
    }

    [Fact]
    public void Auto_tries_in_cluster_first()
    {
        // Not in a pod here, so the in-cluster configuration itself fails: proof it was chosen over the kubeconfig.
        var options = new ClusterOptions { Kubeconfig = Kubeconfig("setting", "https://setting.example:6443") };
        Assert.ThrowsAny<Exception>(() => ClusterConnectionFactory.Resolve(options, Environment(inCluster: true)));
        Assert.Equal(ClusterConnectionSource.KubeconfigSetting, ClusterConnectionFactory.Resolve(options, Environment(inCluster: false)).Source);
    }

    [Fact]
    public async Task Offline_registration_serves_the_offline_view_and_logs_a_loud_banner()
    {
        var logs = new CapturingLoggerProvider();
        await using var provider = Services(new() { ["Cluster:Connection"] = "Offline" }, logs);

        Assert.IsType<OfflineClusterView>(provider.GetRequiredService<IClusterView>());
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(TestContext.Current.CancellationToken);

        var banner = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("OFFLINE:", StringComparison.Ordinal));
        Assert.Contains("claim-not-found", banner.Message, StringComparison.Ordinal);
        Assert.True(banner.Message.Split('\n').Length >= 5, "a multi-line banner");
    }

    [Fact]
    public async Task Kubeconfig_registration_runs_the_watch_fed_view_through_the_hosted_service()
    {
        await using var api = new KubeApiFake();
        api.OnList(ApiResource.Claims, KubeApiFake.Ok(Json.List(ApiResource.Claims, "10", Json.Claim("ai", "storage", "10", ["ReadWriteOnce"]))));
        var logs = new CapturingLoggerProvider();
        await using var provider = Services(new()
        {
            ["Cluster:Connection"] = "Kubeconfig",
            ["Cluster:Kubeconfig"] = Kubeconfig("fake", api.Url),
            ["Cluster:BackoffInitialSeconds"] = "0.02",
            ["Cluster:BackoffMaxSeconds"] = "0.2",
        }, logs);

        var view = Assert.IsType<ClusterView>(provider.GetRequiredService<IClusterView>());
        Assert.Same(view, provider.GetRequiredService<ClusterView>());
        Assert.Equal(ClusterConnectionSource.KubeconfigSetting, provider.GetRequiredService<ClusterConnectionInfo>().Source);
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted) await service.StartAsync(TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => view.Status.Ready, "ready through the registration", state: () => view.Status.Detail);
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "storage").Outcome);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("connecting through KubeconfigSetting", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("OFFLINE", StringComparison.Ordinal));
        foreach (var service in hosted) await service.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void An_unusable_connection_stops_the_start_as_a_settings_error()
    {
        var broken = Path.Combine(_dir, "broken");
        File.WriteAllText(broken, "apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Connection"] = "Kubeconfig",
            ["Cluster:Kubeconfig"] = broken,
        }).Build();

        var error = Assert.Throws<SettingsException>(() => new ServiceCollection().AddClusterView(configuration));
        Assert.StartsWith("Cluster:Connection (Kubeconfig): cannot configure the Kubernetes API client", Assert.Single(error.Errors));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, ILoggerProvider logs)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        services.AddClusterView(configuration);
        return services.BuildServiceProvider();
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
