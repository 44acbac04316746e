using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RwxGuard.Tls;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Infrastructure;

/// <summary>
/// The real webhook (WebhookHost.Build, Kestrel, TLS) on a free loopback port, with an HttpClient that trusts only the
/// certificate the server is serving (or the given CA).
/// </summary>
public sealed class RunningWebhook : IAsyncDisposable
{
    private RunningWebhook(WebApplication app, Uri baseAddress, HttpClient client)
    {
        App = app;
        BaseAddress = baseAddress;
        Client = client;
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }

    /// <summary>Starts the server deciding from <paramref name="view"/> instead of a watched cluster.</summary>
    public static Task<RunningWebhook> StartAsync(RwxGuard.Domain.IClusterView view, IDictionary<string, string?>? settings = null) =>
        StartAsync(settings: settings, services: s => s.AddSingleton(view));
    public IServiceProvider Services => App.Services;
    /// <summary>The plain-HTTP metrics listener, when enabled.</summary>
    public Uri? MetricsAddress { get; private init; }

    /// <param name="args">Extra command-line flags (the same ones the binary takes).</param>
    /// <param name="settings">Extra configuration keys, e.g. ["Policy:Mode"] = "Warn".</param>
    /// <param name="trustedCa">Trust only this CA; default: trust exactly the certificate the server serves.</param>
    public static async Task<RunningWebhook> StartAsync(string[]? args = null, IDictionary<string, string?>? settings = null,
        X509Certificate2? trustedCa = null, Action<WebApplicationBuilder>? configure = null,
        Action<IServiceCollection>? services = null)
    {
        var allArgs = new List<string> { "--port", "0", "--metrics-port", "0" };
        allArgs.AddRange(args ?? []);
        var app = WebhookHost.Build(allArgs.ToArray(), builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cluster:Connection"] = "Offline",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Server:ShutdownDelaySeconds"] = "0",
            });
            if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(builder);
        }, services);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "localhost").Replace("0.0.0.0", "localhost"))).ToList();
        var port = addresses.First(a => a.Scheme == "https").Port;
        var baseAddress = new Uri($"https://localhost:{port}/");
        var client = new HttpClient(CreateHandler(app.Services, trustedCa)) { BaseAddress = baseAddress };
        var metrics = addresses.FirstOrDefault(a => a.Scheme == "http") is { } m ? new Uri($"http://localhost:{m.Port}/") : null;
        return new RunningWebhook(app, baseAddress, client) { MetricsAddress = metrics };
    }

    /// <summary>A handler that validates the server chain against one trust anchor, with no other roots.</summary>
    public static SocketsHttpHandler CreateHandler(IServiceProvider services, X509Certificate2? trustedCa) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, presented, _) =>
            {
                if (certificate is null) return false;
                var leaf = new X509Certificate2(certificate);
                if (trustedCa is null)
                {
                    var serving = services.GetRequiredService<IServingCertificate>().Current?.TargetCertificate;
                    return serving is not null && serving.RawData.AsSpan().SequenceEqual(leaf.RawData);
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trustedCa);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                // The intermediates the server sent (a --tls-cert-file may hold leaf + intermediates).
                if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
                return chain.Build(leaf);
            },
        },
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
