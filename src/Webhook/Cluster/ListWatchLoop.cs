using Microsoft.Extensions.Logging;
using RwxGuard.Mapping;
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
/// client-go's reflector, reduced to what the view needs: the initial state (a watch-list where the server streams it,
/// else a paginated list) → replace the store → watch from its resourceVersion (bookmarks on) → on a normal end, watch
/// again from the last resourceVersion seen → on 410 Expired, start over → on any other error, back off (exponential,
/// jittered, Retry-After honoured) and reconnect.
/// </summary>
internal sealed class ListWatchLoop<T>(
    ResourceClient<T> client,
    ICacheSink<T> sink,
    CacheHealth health,
    ClusterOptions options,
    LoopTimings timings,
    TimeProvider time,
    ILogger logger)
    where T : class, IObjectShape
{
    private enum WatchOutcome { Ended, Expired, Failed }

    private readonly record struct WatchResult(WatchOutcome Outcome, string? ResourceVersion, int Events, TimeSpan Elapsed, Exception? Error);

    /// <summary>A watch-list is tried until the server refuses one; then paginated lists, for the life of the loop.</summary>
    private bool _watchList = options.InitialList == InitialList.Auto;

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
                WatchResult result;
                if (resourceVersion is null && _watchList)
                {
                    // The initial state and the watch in one request; the store is replaced at the initial-events bookmark.
                    watchesSinceList = 1;
                    result = await WatchOnceAsync(null, sink.BeginReplace(), stop).ConfigureAwait(false);
                    if (result is { Outcome: WatchOutcome.Failed, Error: { } refused } && ApiErrors.IsRefusal(refused))
                    {
                        _watchList = false;
                        ClusterLog.NoWatchList(logger, Resource, ApiErrors.Describe(refused));
                        continue; // straight to a paginated list
                    }
                    if (result.ResourceVersion is not null) backoff.Reset();
                }
                else
                {
                    if (resourceVersion is null)
                    {
                        resourceVersion = await ListAsync(stop).ConfigureAwait(false);
                        backoff.Reset();
                        watchesSinceList = 0;
                    }
                    if (watchesSinceList++ > 0) health.WatchRestarted();
                    result = await WatchOnceAsync(resourceVersion, null, stop).ConfigureAwait(false);
                }
                resourceVersion = result.ResourceVersion;
                switch (result.Outcome)
                {
                    case WatchOutcome.Expired:
                        ClusterLog.Relisting(logger, Resource, resourceVersion ?? "(initial)", ApiErrors.Describe(result.Error!));
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
        var delay = backoff.Next(ApiErrors.RetryAfter(error));
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
            var page = await client.ListAsync(options.ListPageSize, continueToken, replacement.Add, linked.Token).ConfigureAwait(false);
            resourceVersion = page.ResourceVersion ?? resourceVersion;
            continueToken = page.Continue;
        }
        while (continueToken is not null);

        if (string.IsNullOrEmpty(resourceVersion))
            throw new InvalidOperationException($"the {Resource} list carried no metadata.resourceVersion");

        Commit(replacement, resourceVersion, "list");
        return resourceVersion;
    }

    private void Commit(ICacheReplacement<T> replacement, string resourceVersion, string how)
    {
        var first = !health.Synced;
        replacement.Commit();
        // Healthy first: the cache must not be seen synced (ready) while it still reads as failing.
        Healthy();
        health.ListCompleted(resourceVersion);
        ClusterLog.Listed(logger, Resource, replacement.Count, resourceVersion, (first ? "synced" : "relisted") + " by " + how);
    }

    /// <summary>
    /// One watch request until it ends. With <paramref name="initial"/> it is a watch-list: its ADDED events fill the
    /// replacement until the initial-events bookmark commits it, and the same stream goes on as a watch. The result's
    /// resourceVersion is the last one seen (null: a watch-list that never completed its initial state).
    /// </summary>
    private async Task<WatchResult> WatchOnceAsync(string? resourceVersion, ICacheReplacement<T>? initial, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        var events = 0;
        var timeoutSeconds = options.WatchTimeoutSeconds;
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds) + timings.WatchGrace, time);
        // A watch-list must deliver its initial state within a list's time: a server that ignores the parameters sends
        // a plain watch, which never ends its initial events.
        using var initialDeadline = new CancellationTokenSource(initial is null ? Timeout.InfiniteTimeSpan : timings.ListRequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, watchdog.Token, initialDeadline.Token);
        Exception? failure = null;
        try
        {
            await foreach (var change in client.WatchAsync(resourceVersion, initial is not null, timeoutSeconds, Healthy, linked.Token)
                               .ConfigureAwait(false))
            {
                events++;
                if (initial is not null)
                {
                    if (change.Type == EventType.Added && change.Object is { } added) initial.Add(added);
                    // The initial objects come in no resourceVersion order: only the bookmark says where the state stands.
                    if (!change.InitialEventsEnd) continue;
                    if (string.IsNullOrEmpty(change.ResourceVersion))
                        throw new ApiException(System.Net.HttpStatusCode.BadRequest, "watch-list not served", new ApiStatus
                        {
                            Message = $"the {ResourceClient<T>.InitialEventsEndAnnotation} bookmark carried no resourceVersion",
                        }, null);
                    // The whole state has arrived: it becomes the store, and the stream carries on as a watch.
                    Commit(initial, change.ResourceVersion, "watch-list");
                    initial = null;
                    initialDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
                }
                else
                {
                    Apply(change);
                }
                if (!string.IsNullOrEmpty(change.ResourceVersion))
                {
                    resourceVersion = change.ResourceVersion;
                    health.Progressed(change.ResourceVersion);
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
        catch (Exception) when (initialDeadline.IsCancellationRequested && initial is not null)
        {
            // reported below as a watch-list not served
        }
        catch (Exception e)
        {
            failure = e;
        }

        var elapsed = time.GetElapsedTime(started);
        // A watch-list whose stream ended before its initial-events bookmark: a server that does not stream lists and
        // ignored the parameters (a plain watch from "now"). Nothing was committed; it counts as a refusal.
        if (failure is null && initial is not null)
            failure = new ApiException(System.Net.HttpStatusCode.BadRequest, "watch-list not served", new ApiStatus
            {
                Message = $"no {ResourceClient<T>.InitialEventsEndAnnotation} bookmark after {events} events (the stream " +
                          $"ended, or ran past {timings.ListRequestTimeout.TotalSeconds:0} s)",
            }, null);
        if (failure is not null && ApiErrors.IsExpired(failure))
            return new WatchResult(WatchOutcome.Expired, resourceVersion, events, elapsed, failure);
        if (failure is not null)
            return new WatchResult(WatchOutcome.Failed, initial is null ? resourceVersion : null, events, elapsed, failure);
        return new WatchResult(WatchOutcome.Ended, resourceVersion, events, elapsed, null);
    }

    private void Apply(ObjectEvent<T> change)
    {
        if (change.Object?.Meta is null) return;
        switch (change.Type)
        {
            case EventType.Added:
            case EventType.Modified:
                sink.Upsert(change.Object);
                break;
            case EventType.Deleted:
                sink.Delete(change.Object);
                break;
            default:
                // BOOKMARK carries only metadata.resourceVersion; ERROR ends the stream with an exception.
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

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Cluster view: {Resource}: the API server does not stream lists ({Reason}); using paginated lists")]
    public static partial void NoWatchList(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Cluster view: the {Resource} loop stopped unexpectedly")]
    public static partial void LoopCrashed(ILogger logger, string resource, Exception exception);
}
