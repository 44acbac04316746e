using System.Text;
using k8s;
using RwxGuard.Cluster;
using RwxGuard.Migrate;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.CommandLine;

/// <summary>
/// What the cluster commands (migrate, verify) share: the API connection, chosen as the server chooses it
/// (<see cref="ClusterConnectionFactory"/>: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster), the kubeconfig's
/// namespace as the default one, and rwx-guard's settings (--config, else the installed ConfigMap, else defaults) so
/// class choice and policies are the webhook's.
/// </summary>
public sealed class ClusterCommandContext : IDisposable
{
    public const string SettingsNamespace = "rwx-guard";
    public const string SettingsConfigMap = "rwx-guard-settings";

    private ClusterCommandContext(Kubernetes client, string? defaultNamespace)
    {
        Client = client;
        DefaultNamespace = defaultNamespace;
    }

    public Kubernetes Client { get; }
    public string? DefaultNamespace { get; }

    /// <summary>Throws <see cref="MigrationException"/> with a one-line reason when no cluster can be reached from here.</summary>
    public static ClusterCommandContext Connect(string? kubeconfig)
    {
        var options = new ClusterOptions
        {
            Connection = kubeconfig is null ? ClusterConnection.Auto : ClusterConnection.Kubeconfig,
            Kubeconfig = kubeconfig,
        };
        ClusterConnectionInfo connection;
        try
        {
            connection = ClusterConnectionFactory.Resolve(options);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new MigrationException($"cannot configure the Kubernetes API client{(kubeconfig is null ? "" : $" from --kubeconfig {kubeconfig}")}: {e.Message}");
        }
        if (connection.Configuration is null)
            throw new MigrationException("no cluster: pass --kubeconfig, set $KUBECONFIG, or have ~/.kube/config");
        return new ClusterCommandContext(new Kubernetes(connection.Configuration), connection.Configuration.Namespace);
    }

    /// <summary>Policy and Mutation settings: the file, else the ConfigMap the webhook reads, else defaults.</summary>
    public async Task<(PolicyOptions Policy, MutationOptions Mutation, string Source)> SettingsAsync(string? file, CancellationToken ct)
    {
        string json;
        string source;
        if (file is not null)
        {
            if (!File.Exists(file)) throw new SettingsException([$"--config: settings file '{file}' does not exist"]);
            json = await File.ReadAllTextAsync(file, ct);
            source = $"--config {file}";
        }
        else if (await InstalledSettingsAsync(ct) is { } data)
        {
            json = data;
            source = $"configmap {SettingsNamespace}/{SettingsConfigMap}";
        }
        else
        {
            return (new PolicyOptions(), new MutationOptions(), "defaults (no --config, no readable configmap rwx-guard/rwx-guard-settings)");
        }
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new SettingsException([$"{source}: not valid JSON: {e.Message}"]);
        }
        var policy = SettingsLoader.Bind(configuration, PolicyOptions.Section, new PolicyOptionsValidator());
        var mutation = SettingsLoader.Bind(configuration, MutationOptions.Section, new MutationOptionsValidator());
        return (policy, mutation, source);
    }

    /// <summary>The webhook's settings.json from its ConfigMap; null when it is not installed or not readable by this user.</summary>
    private async Task<string?> InstalledSettingsAsync(CancellationToken ct)
    {
        try
        {
            var map = await ClusterReader.OrNull(() => Client.CoreV1.ReadNamespacedConfigMapAsync(SettingsConfigMap, SettingsNamespace, cancellationToken: ct));
            return map?.Data?.Value("settings.json");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    public void Dispose() => Client.Dispose();
}
