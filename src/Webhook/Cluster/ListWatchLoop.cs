using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using RwxGuard.Options;

namespace RwxGuard.Cluster;

/// <summary>Where a cache's objects go. Called by one loop at a time, never concurrently for one sink.</summary>
internal interface ICacheSink<in T>
{
    /// <summary>
    /// Starts a list. Each page's objects are added as the page arrives and mapped to domain records at once, so the
    /// page's full API objects are garbage before the next page is read: a 100k-object list never holds 100k API
    /// objects. <see cref="ICacheReplacement{T}.Commit"/> makes the added objects the whole content.
    /// </summary>
    ICacheReplacement<T> BeginReplace();
    void Upsert(T item);
    void Delete(T item);
}

/// <summary>The content of one list, collected page by page; nothing is visible to readers until Commit.</summary>
internal interface ICacheReplacement<in T>
{
    int Count { get; }
    void Add(T item);
    /// <summary>Swaps the collected content in: objects not added disappear.</summary>
    void Commit();
}

/// <summary>Internal timings of the loops (tests shorten them).</summary>
/// <param name="ShortWatch">A watch that ends this fast with no event is not a healthy rhythm: wait a backoff step
/// first (client-go's "very short watch"), so a server that closes every watch at once is not hammered.</param>
/// <param name="ListRequestTimeout">Upper bound for one list page, so a hung request turns into a failure that is retried.</param>
/// <param name="WatchGrace">Client-side bound on one watch beyond its server-side timeoutSeconds (a silently dead connection).</param>
internal sealed record LoopTimings(TimeSpan ShortWatch, TimeSpan ListRequestTimeout, TimeSpan WatchGrace)
{
    public static readonly LoopTimings Default = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30));
}

/// <summary>
/// client-go's reflector, reduced to what the view needs: paginated list → replace the store → watch from the list's
/// resourceVersion (bookmarks on) → on a normal end, watch again from the last resourceVersion seen → on 410 Expired,
/// list again → on any other error, back off (exponential, jittered, Retry-After honoured) and reconnect.
/// </summary>
internal sealed class ListWatchLoop<T>(
    ResourceClient<T> client,
    ICacheSink<T> sink,
    CacheHealth health,
    ClusterOptions options,
    LoopTimings timings,
    TimeProvider time,
    ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private enum WatchOutcome { Ended, Expired, Failed }

    private readonly record struct WatchResult(WatchOutcome Outcome, string ResourceVersion, int Events, TimeSpan Elapsed, Exception? Error);

    /// <summary>
    /// A watch that has stayed open this long without an error counts as a working connection even before its first
    /// event (KubernetesClient hands the stream over only once the first line arrives, so the response headers
    /// cannot be seen). Refusals, 4xx/5xx and 410 all arrive well within it.
    /// </summary>
    private TimeSpan WatchHealthyAfter { get; } = TimeSpan.FromSeconds(Math.Min(options.StaleAfterSeconds / 2, 5));

    public string Resource => client.Resource;

    public async Task RunAsync(CancellationToken stop)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(options.BackoffInitialSeconds), TimeSpan.FromSeconds(options.BackoffMaxSeconds));
        string? resourceVersion = null;
        var watchesSinceList = 0;

        while (!stop.IsCancellationRequested)
        {
            TimeSpan? delay = null;
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await ListAsync(stop).ConfigureAwait(false);
                    backoff.Reset();
                    watchesSinceList = 0;
                }

                if (watchesSinceList++ > 0) health.WatchRestarted();
                var result = await WatchOnceAsync(resourceVersion, stop).ConfigureAwait(false);
                resourceVersion = result.ResourceVersion;
                switch (result.Outcome)
                {
                    case WatchOutcome.Expired:
                        ClusterLog.Relisting(logger, Resource, resourceVersion, ApiErrors.Describe(result.Error!));
                        Healthy();
                        health.RelistStarted();
                        resourceVersion = null;
                        // Expired straight after a fresh list: a server in trouble, do not spin list → watch → list.
                        if (result.Events == 0 && watchesSinceList == 1) delay = backoff.Next();
                        break;
                    case WatchOutcome.Failed:
                        if (result.Events > 0) backoff.Reset(); // it worked for a while: start the backoff over
                        delay = Failed(result.Error!, "watch", backoff);
                        break;
                    default:
                        Healthy();
                        if (result.Events == 0 && result.Elapsed < timings.ShortWatch)
                            delay = backoff.Next();
                        else
                            backoff.Reset();
                        break;
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The list failed (or a page of it): start the list over after a backoff step.
                delay = Failed(e, "list", backoff);
            }

            if (delay is { } wait)
            {
                try
                {
                    await Task.Delay(wait, time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private void Healthy()
    {
        if (health.Succeeded() is { } since)
            ClusterLog.Recovered(logger, Resource, (time.GetUtcNow() - since).TotalSeconds);
    }

    private TimeSpan Failed(Exception error, string operation, Backoff backoff)
    {
        var now = time.GetUtcNow();
        var delay = backoff.Next(ApiErrors.RetryAfter(error, now));
        var description = ApiErrors.Describe(error);
        if (health.Failed(description, now))
            ClusterLog.Failing(logger, operation, Resource, description, delay.TotalSeconds, error);
        else
            ClusterLog.StillFailing(logger, operation, Resource, backoff.Attempt, description, delay.TotalSeconds);
        return delay;
    }

    private async Task<string> ListAsync(CancellationToken stop)
    {
        var replacement = sink.BeginReplace();
        string? continueToken = null;
        string? resourceVersion = null;
        do
        {
            using var timeout = new CancellationTokenSource(timings.ListRequestTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            var page = await client.ListAsync(options.ListPageSize, continueToken, linked.Token).ConfigureAwait(false);
            foreach (var item in page.Items)
                if (item is not null) replacement.Add(item);
            resourceVersion = page.ResourceVersion ?? resourceVersion;
            continueToken = page.Continue;
        }
        while (continueToken is not null);

        if (string.IsNullOrEmpty(resourceVersion))
            throw new InvalidOperationException($"the {Resource} list carried no metadata.resourceVersion");

        var first = !health.Synced;
        replacement.Commit();
        // Healthy first: the cache must not be seen synced (ready) while it still reads as failing.
        Healthy();
        health.ListCompleted(resourceVersion);
        ClusterLog.Listed(logger, Resource, replacement.Count, resourceVersion, first ? "synced" : "relisted");
        return resourceVersion;
    }

    private async Task<WatchResult> WatchOnceAsync(string resourceVersion, CancellationToken stop)
    {
        // KubernetesClient reports ERROR events (a Status object) and undecodable lines through onError and keeps
        // reading; the loop below stops at the first one so no event is skipped while the resourceVersion advances.
        var errors = new List<Exception>();
        void OnError(Exception e)
        {
            lock (errors) errors.Add(e);
        }

        var started = time.GetTimestamp();
        var events = 0;
        var timeoutSeconds = options.WatchTimeoutSeconds;
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds) + timings.WatchGrace, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, watchdog.Token);
        var finished = false;
        using var openLongEnough = new CancellationTokenSource(WatchHealthyAfter, time);
        using var proof = openLongEnough.Token.Register(() =>
        {
            lock (errors)
                if (!finished && errors.Count == 0) Healthy();
        });
        Exception? thrown = null;
        try
        {
            await foreach (var (type, item) in client.WatchAsync(resourceVersion, timeoutSeconds, OnError, linked.Token).ConfigureAwait(false))
            {
                lock (errors)
                    if (errors.Count > 0) break;
                if (events++ == 0) Healthy();
                Apply(type, item);
                var itemVersion = item?.Metadata?.ResourceVersion;
                if (!string.IsNullOrEmpty(itemVersion))
                {
                    resourceVersion = itemVersion;
                    health.Progressed(itemVersion);
                }
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Stopping: whatever the cancelled read threw (OperationCanceledException, IOException …) is not a failure.
            throw new OperationCanceledException(stop);
        }
        catch (Exception) when (watchdog.IsCancellationRequested)
        {
            ClusterLog.WatchOverdue(logger, Resource, timeoutSeconds);
        }
        catch (Exception e)
        {
            thrown = e;
        }

        var elapsed = time.GetElapsedTime(started);
        Exception[] reported;
        lock (errors)
        {
            finished = true;
            reported = [.. errors];
        }
        if (thrown is not null && !(events == 0 && ApiErrors.IsEmptyWatchStream(thrown)))
            reported = [.. reported, thrown];

        if (reported.FirstOrDefault(ApiErrors.IsExpired) is { } expired)
            return new WatchResult(WatchOutcome.Expired, resourceVersion, events, elapsed, expired);
        if (reported.Length > 0)
            return new WatchResult(WatchOutcome.Failed, resourceVersion, events, elapsed, reported[0]);
        return new WatchResult(WatchOutcome.Ended, resourceVersion, events, elapsed, null);
    }

    private void Apply(WatchEventType type, T item)
    {
        if (item?.Metadata is null) return;
        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                sink.Upsert(item);
                break;
            case WatchEventType.Deleted:
                sink.Delete(item);
                break;
            default:
                // BOOKMARK carries only metadata.resourceVersion; ERROR never reaches here (it goes to onError).
                break;
        }
    }
}

internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Cluster view: {Resource} {What}: {Count} objects at resourceVersion {ResourceVersion}")]
    public static partial void Listed(ILogger logger, string resource, int count, string resourceVersion, string what);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Cluster view: {Resource} watch from resourceVersion {ResourceVersion} expired ({Reason}); listing again")]
    public static partial void Relisting(ILogger logger, string resource, string resourceVersion, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Cluster view: {Operation} of {Resource} failed: {Error}; retrying in {DelaySeconds:0.###} s")]
    public static partial void Failing(ILogger logger, string operation, string resource, string error, double delaySeconds, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Cluster view: {Operation} of {Resource} failed again (attempt {Attempt}): {Error}; retrying in {DelaySeconds:0.###} s")]
    public static partial void StillFailing(ILogger logger, string operation, string resource, int attempt, string error, double delaySeconds);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Cluster view: {Resource} connection recovered after {Seconds:0.#} s of failures")]
    public static partial void Recovered(ILogger logger, string resource, double seconds);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Cluster view: {Resource} watch outlived its {TimeoutSeconds} s timeout without closing; reconnecting")]
    public static partial void WatchOverdue(ILogger logger, string resource, int timeoutSeconds);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Cluster view: could not apply a {Resource} object {Key}; it is skipped")]
    public static partial void Unmappable(ILogger logger, string resource, string key, Exception exception);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Cluster view: the {Resource} loop stopped unexpectedly")]
    public static partial void LoopCrashed(ILogger logger, string resource, Exception exception);
}
