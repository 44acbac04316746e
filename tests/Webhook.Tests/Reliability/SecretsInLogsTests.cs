using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Tls;
using RwxGuard.Tls;
using static RwxGuard.Tests.Cluster.ApiResource;
using static RwxGuard.Tests.Cluster.KubeApiFake;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// The bearer token of the kubeconfig and the serving private key never reach a log line (every category, every level,
/// exceptions included), /metrics or /readyz, also on the error paths: API calls refused with 401/403, a key file that
/// fails to load.
/// </summary>
public sealed class SecretsInLogsTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_token_or_private_key_in_logs_metrics_or_readiness()
    {
        var token = $"rwxguard-secret-token-{Guid.NewGuid():N}";
        await using var api = new KubeApiFake();
        api.OnList(Claims,
            Error(401, "Unauthorized", "Unauthorized"),
            Ok(Json.List(Claims, "100", Json.Claim("ai", "data", "100", ["ReadWriteOnce"]))));
        api.OnWatch(Deployments, "1", Error(403, "Forbidden", "deployments.apps is forbidden: User \"system:serviceaccount:rwx-guard:rwx-guard\" cannot watch resource"));
        using var kubeconfig = new Kubeconfig(api.Url, token);

        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var leaf = TestCertificates.Serving(ca);
        var (certFile, keyFile) = (dir.File("tls.crt"), dir.File("tls.key"));
        CertificateAuthority.WritePem(certFile, leaf, privateKeyPath: keyFile);
        var keyPem = File.ReadAllText(keyFile);

        var logs = new AllLogs();
        await using var webhook = await RunningWebhook.StartAsync(
            ["--kubeconfig", kubeconfig.Path, "--tls-cert-file", certFile, "--tls-private-key-file", keyFile],
            new Dictionary<string, string?>
            {
                ["Cluster:Connection"] = "Kubeconfig",
                ["Cluster:BackoffInitialSeconds"] = "0.02",
                ["Cluster:BackoffMaxSeconds"] = "0.1",
                ["Server:CertificatePollSeconds"] = "300",
            },
            trustedCa: ca,
            configure: builder =>
            {
                builder.Logging.AddProvider(logs);
                builder.Logging.AddFilter<AllLogs>(null, LogLevel.Trace); // everything, whatever Logging:LogLevel says
            });

        // The token is in use: the fake API server received it.
        await Poll.UntilAsync(async () => (await webhook.Client.GetAsync("/readyz", Ct)).StatusCode == HttpStatusCode.OK, "the view syncs");
        Assert.Contains(api.Server.LogEntries, e => e.RequestMessage.Headers?.TryGetValue("Authorization", out var values) == true
            && values.Contains($"Bearer {token}"));
        await Poll.UntilAsync(() => api.WatchRequests(Deployments).Count >= 2, "the forbidden watch was retried");

        // Decisions (logged one line each), on both webhooks.
        foreach (var capture in new[] { "datree-deployment-create-replicas2-v1.json", "kw-pvc-create-rwo-storageclass-fast-v1req.json" })
        {
            Assert.Equal(200, (await webhook.Client.PostAsync("/validate", Fixtures.Review(capture))).Status);
            Assert.Equal(200, (await webhook.Client.PostAsync("/mutate", Fixtures.Review(capture))).Status);
        }

        // A key file that does not load (a key of another pair), then the good one back.
        var store = webhook.Services.GetRequiredService<ServingCertificateStore>();
        File.WriteAllText(keyFile, CertificateAuthority.PrivateKeyPem(TestCertificates.Serving(ca)));
        await Eventually.WaitAsync(() => store.FailedLoadCount >= 1, TimeSpan.FromSeconds(10), "the mismatched key to be refused", Ct);
        File.WriteAllText(keyFile, keyPem);

        using var metricsClient = new HttpClient();
        var metrics = await metricsClient.GetStringAsync(new Uri(webhook.MetricsAddress!, "metrics"), Ct);
        var readyz = await webhook.Client.GetStringAsync("/readyz", Ct);
        Assert.Contains("rwxguard_admission_requests_total", metrics);

        var lines = logs.Lines.ToList();
        output.WriteLine($"{lines.Count} log lines, {metrics.Length} bytes of metrics checked");
        Assert.Contains(lines, l => l.Contains("401", StringComparison.Ordinal) || l.Contains("Unauthorized", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Forbidden", StringComparison.Ordinal) || l.Contains("403", StringComparison.Ordinal));

        var keyBody = string.Concat(keyPem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))).Trim();
        var secrets = new List<string> { token, "PRIVATE KEY", "Bearer " };
        // Any 24 consecutive characters of the key's base64 body.
        for (var i = 0; i + 24 <= keyBody.Length; i += 12) secrets.Add(keyBody.Substring(i, 24));
        foreach (var (where, text) in lines.Select(l => ("log", l)).Append(("metrics", metrics)).Append(("readyz", readyz)))
            foreach (var secret in secrets)
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{where} carries a secret ({secret[..Math.Min(12, secret.Length)]}…): {text}");
    }

    /// <summary>Every log call of every category: the formatted message and the exception's full text.</summary>
    private sealed class AllLogs : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(AllLogs provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter) =>
                provider.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
