namespace RwxGuard;

/// <summary>
/// Graceful shutdown the way Kubernetes needs it. On SIGTERM the pod is removed from the Service's endpoints only
/// after kube-proxy and the API server notice, which takes seconds; a server that stopped listening at once would fail
/// the webhook calls still routed to it. So: report not-ready at once, keep serving for Server:ShutdownDelaySeconds,
/// then let Kestrel stop accepting and finish the requests in flight.
/// </summary>
/// <remarks>The delay runs in <see cref="StoppingAsync"/>, which the host awaits before it stops any service, Kestrel
/// included.</remarks>
public sealed partial class ShutdownCoordinator(TimeSpan delay, ILogger<ShutdownCoordinator> logger) : IHostedLifecycleService
{
    private volatile bool _stopping;

    public bool IsStopping => _stopping;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        LogDraining(delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // the host's shutdown timeout ran out first: stop now
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "shutting down: /readyz now fails; serving for {DelaySeconds} s more so endpoints drain")]
    private partial void LogDraining(double delaySeconds);
}
