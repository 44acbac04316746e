using k8s;
using Microsoft.Extensions.Logging;
using RwxGuard.Cluster;
using RwxGuard.Options;

namespace RwxGuard.Tests.Cluster;

/// <summary>A <see cref="KubeApiFake"/>, a KubernetesClient pointed at it, and a <see cref="ClusterView"/> over that client.</summary>
internal sealed class ViewHarness : IAsyncDisposable
{
    private Kubernetes? _client;

    public KubeApiFake Api { get; } = new();
    public ClusterView View { get; private set; } = null!;

    /// <summary>Test timings: retries in tens of milliseconds, nothing stale unless a test says so.</summary>
    public static ClusterOptions Fast(double staleAfterSeconds = 30, int pageSize = 500, double backoffInitialSeconds = 0.02,
        double backoffMaxSeconds = 0.2) => new()
    {
        Connection = ClusterConnection.Kubeconfig,
        ListPageSize = pageSize,
        WatchTimeoutSeconds = 5,
        BackoffInitialSeconds = backoffInitialSeconds,
        BackoffMaxSeconds = backoffMaxSeconds,
        StaleAfterSeconds = staleAfterSeconds,
    };

    public ClusterView Start(ClusterOptions? options = null, string? host = null, LoopTimings? timings = null)
    {
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = host ?? Api.Url });
        View = new ClusterView(_client, options ?? Fast(), TimeProvider.System, new TestOutputLogger()) { Timings = timings ?? LoopTimings.Default };
        View.StartAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        return View;
    }

    public ResourceCacheStats Stats(string resource) => View.GetStats()[resource];

    public Task UntilReadyAsync() => Poll.UntilAsync(() => View.Status.Ready, "the view is ready", state: () => View.Status.Detail);

    public async ValueTask DisposeAsync()
    {
        if (View is not null) await View.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        _client?.Dispose();
        await Api.DisposeAsync();
    }
}

/// <summary>Loop logs into the test's output (kept when a test fails); silent once the test has ended.</summary>
public sealed class TestOutputLogger : ILogger
{
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            _output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // the test is over
        }
    }
}
