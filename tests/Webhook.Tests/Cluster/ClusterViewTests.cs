using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RwxGuard.Cluster;
using RwxGuard.Policies;
using static RwxGuard.Tests.Cluster.KubeApiFake;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Cluster;

/// <summary>The watch-fed view against WireMock serving the real API paths and payloads.</summary>
public sealed class ClusterViewTests
{
    private static readonly ApiResource Claims = ApiResource.Claims;
    private static readonly string[] Rwo = ["ReadWriteOnce"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Not_ready_until_every_cache_has_listed_then_ready()
    {
        await using var h = new ViewHarness();
        var storageClassesAnswer = new TaskCompletionSource();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "storage", "100", Rwo))));
        h.Api.OnList(ApiResource.StorageClasses,
            Ok(Json.List(ApiResource.StorageClasses, "7", Json.StorageClass("gp3", "7", "ebs.csi.aws.com", isDefault: true))) with { Gate = storageClassesAnswer.Task });
        var view = h.Start();

        await Poll.UntilAsync(() => view.GetStats().Caches.Count(c => c.Synced) == 7, "every cache but storageclasses synced",
            state: () => view.Status.Detail);
        Assert.False(view.Status.Ready);
        Assert.Equal("not synced: storageclasses (first list in progress)", view.Status.Detail);
        // Claims are in memory already, but the view as a whole is not ready: no partial answers.
        Assert.Equal(LookupOutcome.Unavailable, view.GetClaim("ai", "storage").Outcome);
        Assert.Equal(LookupOutcome.Unavailable, view.StorageClasses.Outcome);

        storageClassesAnswer.SetResult();
        await h.UntilReadyAsync();
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "storage").Outcome);
        Assert.Equal(LookupOutcome.NotFound, view.GetClaim("ai", "missing").Outcome);
        Assert.Equal(["gp3"], view.StorageClasses.Value!.Select(c => c.Name));
        Assert.StartsWith("synced: persistentvolumeclaims 1, deployments 0", view.Status.Detail);
        Assert.False(view.Status.Offline);
    }

    [Fact]
    public async Task Claim_MODIFIED_to_bound_with_RWX_status_changes_effective_modes()
    {
        await using var h = new ViewHarness();
        var release = new TaskCompletionSource();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "anythingllm-storage-claim", "100", Rwo))));
        h.Api.OnWatch(Claims, "100", Events(Json.Modified(
            Json.Claim("ai", "anythingllm-storage-claim", "101", Rwo, phase: "Bound", statusModes: ["ReadWriteMany"]))) with { Gate = release.Task });
        var view = h.Start();
        await h.UntilReadyAsync();

        var pending = view.GetClaim("ai", "anythingllm-storage-claim").Value!;
        Assert.False(pending.Bound);
        Assert.Equal(AccessModes.ReadWriteOnce, pending.EffectiveModes);
        Assert.True(pending.IsSingleAttach);

        release.SetResult();
        await Poll.UntilAsync(() => view.GetClaim("ai", "anythingllm-storage-claim").Value!.Bound, "the MODIFIED event is applied");
        var bound = view.GetClaim("ai", "anythingllm-storage-claim").Value!;
        Assert.Equal(AccessModes.ReadWriteOnce, bound.SpecModes);
        Assert.Equal(AccessModes.ReadWriteMany, bound.EffectiveModes);
        Assert.False(bound.IsSingleAttach);
        Assert.StartsWith("pvc-", bound.VolumeName);

        // The watch ended normally: it resumes from the event's resourceVersion, without listing again.
        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "101"), "a watch from resourceVersion 101");
        Assert.Single(h.Api.ListRequests(Claims));
        Assert.Equal(0, h.Stats("persistentvolumeclaims").Relists);
        var firstWatch = h.Api.WatchRequests(Claims)[0];
        Assert.Equal("true", Param(firstWatch, "allowWatchBookmarks"));
        Assert.Equal("5", Param(firstWatch, "timeoutSeconds"));
    }

    [Fact]
    public async Task DELETED_removes_objects_and_the_claim_index_follows()
    {
        await using var h = new ViewHarness();
        var release = new TaskCompletionSource();
        var deployment = Json.Deployment("ai", "anythingllm", "201", 2, ["storage"]);
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "storage", "100", Rwo))));
        h.Api.OnList(ApiResource.Deployments, Ok(Json.List(ApiResource.Deployments, "201", deployment)));
        h.Api.OnList(ApiResource.ReplicaSets, Ok(Json.List(ApiResource.ReplicaSets, "301",
            Json.ReplicaSet("ai", "anythingllm-7f9c6b5d4", "301", 2, ["storage"], "anythingllm"))));
        h.Api.OnWatch(ApiResource.Deployments, "201",
            Events(Json.Deleted(Json.Deployment("ai", "anythingllm", "202", 2, ["storage"]))) with { Gate = release.Task });
        h.Api.OnWatch(Claims, "100", Events(Json.Deleted(Json.Claim("ai", "storage", "103", Rwo))) with { Gate = release.Task });
        var view = h.Start();
        await h.UntilReadyAsync();

        Assert.Equal(["Deployment ai/anythingllm", "ReplicaSet ai/anythingllm-7f9c6b5d4"],
            view.WorkloadsMountingClaim("ai", "storage").Select(w => w.ToString()));

        release.SetResult();
        await Poll.UntilAsync(() => view.GetWorkload(WorkloadKind.Deployment, "ai", "anythingllm").Outcome == LookupOutcome.NotFound
            && view.GetClaim("ai", "storage").Outcome == LookupOutcome.NotFound, "both DELETED events applied");
        Assert.Equal(["ReplicaSet ai/anythingllm-7f9c6b5d4"], view.WorkloadsMountingClaim("ai", "storage").Select(w => w.ToString()));
        Assert.Equal(0, h.Stats("deployments").Objects);
        Assert.Equal(1, h.Stats("replicasets").Objects);
    }

    [Fact]
    public async Task Workload_MODIFIED_with_other_claims_moves_in_the_claim_index()
    {
        await using var h = new ViewHarness();
        var release = new TaskCompletionSource();
        h.Api.OnList(ApiResource.StatefulSets, Ok(Json.List(ApiResource.StatefulSets, "50",
            Json.StatefulSet("data", "db", "50", 3, ["old-shared"], volumeClaimTemplates: ["pgdata"]))));
        h.Api.OnWatch(ApiResource.StatefulSets, "50", Events(Json.Modified(
            Json.StatefulSet("data", "db", "51", 3, ["new-shared", "backup"], volumeClaimTemplates: ["pgdata"]))) with { Gate = release.Task });
        var view = h.Start();
        await h.UntilReadyAsync();
        Assert.Single(view.WorkloadsMountingClaim("data", "old-shared"));
        Assert.Empty(view.WorkloadsMountingClaim("data", "pgdata")); // per-pod storage never counts
        Assert.Empty(view.WorkloadsMountingClaim("data", "pgdata-db-0"));

        release.SetResult();
        await Poll.UntilAsync(() => view.WorkloadsMountingClaim("data", "new-shared").Count == 1, "the index follows the MODIFIED template");
        Assert.Empty(view.WorkloadsMountingClaim("data", "old-shared"));
        Assert.Equal("db", Assert.Single(view.WorkloadsMountingClaim("data", "backup")).Name);
        Assert.Empty(view.WorkloadsMountingClaim("other-namespace", "new-shared"));
        Assert.Equal(["new-shared", "backup"], view.GetWorkload(WorkloadKind.StatefulSet, "data", "db").Value!.Template.ClaimNames);
    }

    [Fact]
    public async Task Http_410_on_the_watch_relists_and_objects_deleted_meanwhile_disappear()
    {
        await using var h = new ViewHarness();
        var release = new TaskCompletionSource();
        h.Api.OnList(Claims,
            Ok(Json.List(Claims, "100", Json.Claim("ai", "kept", "90", Rwo), Json.Claim("ai", "deleted-meanwhile", "95", Rwo))),
            Ok(Json.List(Claims, "200", Json.Claim("ai", "kept", "90", Rwo), Json.Claim("ai", "created-meanwhile", "180", Rwo))));
        h.Api.OnWatch(Claims, "100", Error(410, "Expired", "too old resource version: 100 (150)") with { Gate = release.Task });
        var view = h.Start();
        await h.UntilReadyAsync();
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "deleted-meanwhile").Outcome);

        release.SetResult();
        await Poll.UntilAsync(() => view.GetClaim("ai", "created-meanwhile").Outcome == LookupOutcome.Found, "the relist is applied");
        Assert.Equal(LookupOutcome.NotFound, view.GetClaim("ai", "deleted-meanwhile").Outcome);
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "kept").Outcome);
        Assert.Equal(2, h.Api.ListRequests(Claims).Count);
        Assert.Equal(1, h.Stats("persistentvolumeclaims").Relists);
        Assert.Equal(0, h.Stats("persistentvolumeclaims").Failures);
        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "200"), "a watch from the relist's resourceVersion");
    }

    [Fact]
    public async Task Watch_ERROR_event_with_code_410_relists()
    {
        await using var h = new ViewHarness();
        var release = new TaskCompletionSource();
        h.Api.OnList(ApiResource.Deployments,
            Ok(Json.List(ApiResource.Deployments, "100", Json.Deployment("ai", "gone", "90", 1, ["a"]), Json.Deployment("ai", "stays", "91", 1, ["a"]))),
            Ok(Json.List(ApiResource.Deployments, "200", Json.Deployment("ai", "stays", "91", 1, ["a"]))));
        h.Api.OnWatch(ApiResource.Deployments, "100",
            Events(Json.ErrorEvent(410, "Expired", "The resourceVersion for the provided watch is too old.")) with { Gate = release.Task });
        var view = h.Start();
        await h.UntilReadyAsync();
        Assert.Equal(2, view.WorkloadsMountingClaim("ai", "a").Count);

        release.SetResult();
        await Poll.UntilAsync(() => h.Api.ListRequests(ApiResource.Deployments).Count == 2
            && view.GetWorkload(WorkloadKind.Deployment, "ai", "gone").Outcome == LookupOutcome.NotFound, "relisted after the ERROR event");
        Assert.Equal("stays", Assert.Single(view.WorkloadsMountingClaim("ai", "a")).Name);
        Assert.Equal(1, h.Stats("deployments").Relists);
        Assert.Equal(0, h.Stats("deployments").Failures);
    }

    [Fact]
    public async Task Other_watch_errors_reconnect_from_the_last_resourceVersion_without_relisting()
    {
        await using var h = new ViewHarness();
        // An ERROR event that is not 410, then a stream cut in the middle of an event.
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        h.Api.OnWatch(Claims, "100", Events(Json.ErrorEvent(500, "InternalError", "etcdserver: request timed out")),
            Events(Json.Modified(Json.Claim("ai", "a", "101", Rwo, phase: "Bound"))));
        var truncated = Json.Added(Json.Claim("ai", "half-sent", "102", Rwo));
        h.Api.OnWatch(Claims, "101", new Reply(200, Json.Added(Json.Claim("ai", "b", "101", Rwo)) + "\n" + truncated[..(truncated.Length / 2)]));
        var view = h.Start();

        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "101")
            && h.Stats("persistentvolumeclaims").Failures >= 2, "reconnected after the ERROR event and after the cut stream",
            state: () => h.Stats("persistentvolumeclaims").ToString());
        await Poll.UntilAsync(() => view.GetClaim("ai", "b").Outcome == LookupOutcome.Found, "the complete event before the cut is applied");
        Assert.True(view.GetClaim("ai", "a").Value!.Bound);
        Assert.Equal(LookupOutcome.NotFound, view.GetClaim("ai", "half-sent").Outcome);
        Assert.Single(h.Api.ListRequests(Claims));
        Assert.Equal(0, h.Stats("persistentvolumeclaims").Relists);
        Assert.Contains("watch stream ended in the middle of an event", h.Stats("persistentvolumeclaims").LastError);
    }

    [Fact]
    public async Task Bookmarks_advance_the_resourceVersion_the_next_watch_starts_from()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        h.Api.OnWatch(Claims, "100", Events(Json.Bookmark("PersistentVolumeClaim", "v1", "150")));
        var view = h.Start();
        await h.UntilReadyAsync();

        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "150"), "a watch from the bookmark");
        Assert.Single(h.Api.ListRequests(Claims));
        Assert.Equal("150", h.Stats("persistentvolumeclaims").ResourceVersion);
        Assert.Equal(1, h.Stats("persistentvolumeclaims").Objects); // the bookmark's empty object is not stored
        Assert.True(h.Stats("persistentvolumeclaims").WatchRestarts >= 1);
    }

    [Fact]
    public async Task List_500_is_retried_with_backoff_and_the_view_recovers()
    {
        await using var h = new ViewHarness();
        var error = Error(500, "InternalError", "Internal error occurred: etcdserver: leader changed");
        h.Api.OnList(Claims, error, error, error, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        var view = h.Start(ViewHarness.Fast(backoffInitialSeconds: 0.05, backoffMaxSeconds: 1));

        await h.UntilReadyAsync();
        var lists = h.Api.ListRequests(Claims);
        Assert.Equal(4, lists.Count);
        // Three waits of at least 0.025, 0.05 and 0.1 s (jitter keeps each within [d/2, d]).
        Assert.True(lists[3].DateTime - lists[0].DateTime >= TimeSpan.FromSeconds(0.17), $"retries too fast: {lists[3].DateTime - lists[0].DateTime}");
        Assert.Equal(3, h.Stats("persistentvolumeclaims").Failures);
        Assert.Null(h.Stats("persistentvolumeclaims").FailingSince);
        Assert.Equal("HTTP 500 Internal Server Error: Internal error occurred: etcdserver: leader changed", h.Stats("persistentvolumeclaims").LastError);
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
    }

    [Fact]
    public async Task Retry_After_of_a_429_is_honoured()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims,
            Error(429, "TooManyRequests", "Too many requests, please try again later.", new Dictionary<string, string> { ["Retry-After"] = "1" }),
            Ok(Json.List(Claims, "100")));
        h.Start(ViewHarness.Fast(backoffInitialSeconds: 0.02, backoffMaxSeconds: 0.1));

        await h.UntilReadyAsync();
        var lists = h.Api.ListRequests(Claims);
        Assert.Equal(2, lists.Count);
        Assert.True(lists[1].DateTime - lists[0].DateTime >= TimeSpan.FromSeconds(0.9), $"Retry-After ignored: {lists[1].DateTime - lists[0].DateTime}");
    }

    [Fact]
    public async Task Readiness_drops_after_StaleAfterSeconds_of_failures_and_returns_on_recovery()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        var failing = h.Api.OnWatch(Claims, "100", Error(500, "InternalError", "etcdserver: request timed out"));
        var view = h.Start(ViewHarness.Fast(staleAfterSeconds: 0.3, backoffMaxSeconds: 0.1));

        await Poll.UntilAsync(() => h.Stats("persistentvolumeclaims").Synced && !view.Status.Ready
            && view.Status.Detail.Contains("API connection failing for more than 0.3 s", StringComparison.Ordinal),
            "stale after 0.3 s of watch failures", state: () => view.Status.Detail);
        Assert.Matches(@"persistentvolumeclaims \(failing since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \([\d.]+ s ago\): HTTP 500", view.Status.Detail);
        Assert.Equal(LookupOutcome.Unavailable, view.GetClaim("ai", "a").Outcome);
        Assert.Empty(view.WorkloadsMountingClaim("ai", "a"));
        Assert.Single(h.Api.ListRequests(Claims));

        failing.Remove(); // the API server answers watches again (they stay open with no event)
        await h.UntilReadyAsync();
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
        Assert.DoesNotContain("failing", view.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brief_failures_keep_the_data_served_while_reconnecting()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        h.Api.OnWatch(Claims, "100", Error(503, "ServiceUnavailable", "the server is currently unable to handle the request"));
        var view = h.Start(ViewHarness.Fast(staleAfterSeconds: 30));

        await Poll.UntilAsync(() => h.Stats("persistentvolumeclaims").Failures >= 3, "several failed watches");
        Assert.True(view.Status.Ready);
        Assert.Contains("reconnecting: persistentvolumeclaims (failing since", view.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
        Assert.Single(h.Api.ListRequests(Claims));
    }

    [Fact]
    public async Task Lookups_answer_at_once_while_the_first_list_is_slow()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))) with { Delay = TimeSpan.FromSeconds(5) });
        var view = h.Start();
        await Poll.UntilAsync(() => h.Stats("deployments").Synced, "another cache synced");

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(LookupOutcome.Unavailable, view.GetClaim("ai", "a").Outcome);
            Assert.Equal(LookupOutcome.Unavailable, view.GetWorkload(WorkloadKind.Deployment, "ai", "x").Outcome);
            Assert.Empty(view.AutoscalersTargeting(WorkloadKind.Deployment, "ai", "x"));
        }
        Assert.False(view.Status.Ready);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"3000 lookups took {clock.Elapsed}");
        Assert.Contains("persistentvolumeclaims (first list in progress)", view.Status.Detail, StringComparison.Ordinal);

        clock.Restart();
        await view.StopAsync(Ct); // stopping does not wait for the slow answer either
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"stop took {clock.Elapsed}");
    }

    [Fact]
    public async Task Lookups_answer_from_memory_while_a_watch_is_slow()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        h.Api.OnWatch(Claims, "100", Events(Json.Modified(Json.Claim("ai", "a", "101", Rwo, phase: "Bound"))) with { Delay = TimeSpan.FromSeconds(5) });
        var view = h.Start();
        await h.UntilReadyAsync();

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
            Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"1000 lookups took {clock.Elapsed}");
        Assert.False(view.GetClaim("ai", "a").Value!.Bound);
    }

    [Fact]
    public async Task Hung_requests_time_out_client_side_and_are_retried()
    {
        await using var h = new ViewHarness();
        var lists = h.Api.OnList(Claims,
            Ok(Json.List(Claims, "100")) with { Delay = TimeSpan.FromSeconds(20) }, // a list that never answers
            Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        h.Api.OnWatch(Claims, "100",
            new Reply(200, "", Delay: TimeSpan.FromSeconds(20)), // a watch that outlives its timeoutSeconds, silently
            Events(Json.Modified(Json.Claim("ai", "a", "101", Rwo, phase: "Bound"))));
        var options = ViewHarness.Fast();
        options.WatchTimeoutSeconds = 1;
        var view = h.Start(options, timings: LoopTimings.Default with
        {
            ListRequestTimeout = TimeSpan.FromSeconds(0.3),
            WatchGrace = TimeSpan.FromSeconds(0.2),
        });

        await h.UntilReadyAsync();
        Assert.Equal("request timed out", h.Stats("persistentvolumeclaims").LastError);
        await Poll.UntilAsync(() => view.GetClaim("ai", "a").Value!.Bound, "the second watch delivers the event");
        var stats = h.Stats("persistentvolumeclaims");
        Assert.Equal(1, stats.Failures); // the list timeout; an overdue watch is restarted, not counted as a failure
        Assert.True(stats.WatchRestarts >= 1);
        Assert.Equal(2, lists.Hits); // the hung one (still held by the server) and the retry
    }

    [Fact]
    public async Task Pagination_follows_continue_tokens_to_the_last_page()
    {
        await using var h = new ViewHarness();
        string Claim(int i) => Json.Claim($"ns-{i % 2}", $"claim-{i}", $"{290 + i}", Rwo);
        h.Api.OnList(Claims, Ok(Json.List(Claims, "300", [Claim(1), Claim(2)], continueToken: "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAwLCJzdGFydCI6ImNsYWltLTIifQ")));
        h.Api.OnListPage(Claims, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAwLCJzdGFydCI6ImNsYWltLTIifQ",
            Ok(Json.List(Claims, "300", [Claim(3), Claim(4)], continueToken: "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAwLCJzdGFydCI6ImNsYWltLTQifQ")));
        h.Api.OnListPage(Claims, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAwLCJzdGFydCI6ImNsYWltLTQifQ", Ok(Json.List(Claims, "300", Claim(5))));
        var view = h.Start(ViewHarness.Fast(pageSize: 2));
        await h.UntilReadyAsync();

        for (var i = 1; i <= 5; i++)
            Assert.Equal(LookupOutcome.Found, view.GetClaim($"ns-{i % 2}", $"claim-{i}").Outcome);
        Assert.Equal(5, h.Stats("persistentvolumeclaims").Objects);
        var lists = h.Api.ListRequests(Claims);
        Assert.Equal(3, lists.Count);
        Assert.All(lists, r => Assert.Equal("2", Param(r, "limit")));
        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "300"), "a watch from the list's resourceVersion");
    }

    /// <summary>
    /// Kubernetes 1.32+ streams the initial state through the watch (KEP-3157): ADDED events, a bookmark marked
    /// initial-events-end, then changes, in one request. No list is sent; the store is replaced at the bookmark.
    /// </summary>
    [Fact]
    public async Task A_watch_list_streams_the_initial_state_and_goes_on_as_a_watch()
    {
        await using var h = new ViewHarness();
        h.Api.OnWatchList(Claims, Events(
            Json.Added(Json.Claim("ai", "a", "10", Rwo)),
            Json.Added(Json.Claim("ai", "b", "11", ["ReadWriteMany"])),
            InitialEventsEnd("12"),
            Json.Modified(Json.Claim("ai", "a", "13", Rwo, phase: "Bound"))));
        var view = h.Start();

        await Poll.UntilAsync(() => view.GetClaim("ai", "a") is { Outcome: LookupOutcome.Found, Value.Bound: true }, "the change after the initial state",
            state: () => view.Status.Detail);
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "b").Outcome);
        Assert.Empty(h.Api.ListRequests(Claims));
        var request = Assert.Single(h.Api.WatchListRequests(Claims));
        Assert.Equal("NotOlderThan", Param(request, "resourceVersionMatch"));
        Assert.Equal("true", Param(request, "allowWatchBookmarks"));
        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "13"), "the next watch from the last event");
        Assert.Equal(2, h.Stats("persistentvolumeclaims").Objects);
    }

    /// <summary>
    /// A server without streaming lists refuses the watch-list (422 Invalid, as kube-apiserver with the WatchList feature
    /// off): the view lists page by page instead, and does not ask again.
    /// </summary>
    [Fact]
    public async Task A_refused_watch_list_falls_back_to_paginated_lists_for_good()
    {
        await using var h = new ViewHarness();
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        h.Api.OnWatch(Claims, "100", Events(), Events(Json.Modified(Json.Claim("ai", "a", "101", Rwo))));
        var view = h.Start();
        await h.UntilReadyAsync();

        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Count >= 2, "watches from the list's resourceVersion");
        Assert.Single(h.Api.WatchListRequests(Claims));
        Assert.Single(h.Api.ListRequests(Claims));
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
    }

    /// <summary>
    /// A server that ignores the parameters answers with a plain watch, whose initial events never end: the view does not
    /// wait for ever (the list timeout bounds it), commits nothing from it, and lists instead.
    /// </summary>
    [Fact]
    public async Task A_watch_list_without_its_initial_events_end_is_not_trusted_and_the_view_lists()
    {
        await using var h = new ViewHarness();
        h.Api.OnWatchList(Claims, Events(Json.Added(Json.Claim("ai", "from-a-plain-watch", "5", Rwo))));
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        var view = h.Start(timings: LoopTimings.Default with { ListRequestTimeout = TimeSpan.FromSeconds(2) });

        await h.UntilReadyAsync();
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
        Assert.Equal(LookupOutcome.NotFound, view.GetClaim("ai", "from-a-plain-watch").Outcome);
        Assert.Single(h.Api.WatchListRequests(Claims));
    }

    /// <summary>
    /// An initial-events bookmark without a resourceVersion gives no point to watch on from (a watch from "" starts at
    /// "now" and would miss what changed in between): its state is not committed, and the view lists instead.
    /// </summary>
    [Fact]
    public async Task A_watch_list_whose_end_bookmark_has_no_resource_version_is_not_committed()
    {
        await using var h = new ViewHarness();
        h.Api.OnWatchList(Claims, Events(Json.Added(Json.Claim("ai", "from-the-stream", "5", Rwo)), InitialEventsEnd("")));
        h.Api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("ai", "a", "100", Rwo))));
        var view = h.Start();

        await h.UntilReadyAsync();
        Assert.Equal(LookupOutcome.Found, view.GetClaim("ai", "a").Outcome);
        Assert.Equal(LookupOutcome.NotFound, view.GetClaim("ai", "from-the-stream").Outcome);
        Assert.Single(h.Api.ListRequests(Claims));
        await Poll.UntilAsync(() => h.Api.WatchRequests(Claims).Any(r => Param(r, "resourceVersion") == "100"), "the watch from the list's version");
    }

    private static string InitialEventsEnd(string resourceVersion) => Json.Event("BOOKMARK", new System.Text.Json.Nodes.JsonObject
    {
        ["kind"] = "PersistentVolumeClaim",
        ["apiVersion"] = "v1",
        ["metadata"] = new System.Text.Json.Nodes.JsonObject
        {
            ["resourceVersion"] = resourceVersion,
            ["annotations"] = new System.Text.Json.Nodes.JsonObject { ["k8s.io/initial-events-end"] = "true" },
        },
    }.ToJsonString());

    /// <summary>Every cache is counted, namespaces included (they once reported 0 objects whatever the cluster held).</summary>
    [Fact]
    public async Task Namespaces_are_cached_with_their_labels_and_counted()
    {
        await using var h = new ViewHarness();
        static string Ns(string name, string rv, params (string Key, string Value)[] labels) => new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = name, ["uid"] = $"uid-{name}", ["resourceVersion"] = rv,
                ["labels"] = new System.Text.Json.Nodes.JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (System.Text.Json.Nodes.JsonNode?)l.Value))),
            },
            ["status"] = new System.Text.Json.Nodes.JsonObject { ["phase"] = "Active" },
        }.ToJsonString();
        h.Api.OnList(ApiResource.Namespaces, Ok(Json.List(ApiResource.Namespaces, "12",
            Ns("ai", "11", ("rwx-guard.io/mode", "warn"), ("kubernetes.io/metadata.name", "ai")),
            Ns("kube-system", "12", ("kubernetes.io/metadata.name", "kube-system")))));
        var view = h.Start();
        await h.UntilReadyAsync();

        var ai = view.GetNamespace("ai");
        Assert.Equal(LookupOutcome.Found, ai.Outcome);
        Assert.Equal("warn", ai.Value!.Labels["rwx-guard.io/mode"]);
        Assert.Equal(LookupOutcome.NotFound, view.GetNamespace("team-b").Outcome);
        Assert.Equal(2, h.Stats("namespaces").Objects);
        Assert.Contains("namespaces 2", view.Status.Detail);
    }

    [Fact]
    public async Task Autoscaler_index_and_storage_classes()
    {
        await using var h = new ViewHarness();
        var release = new TaskCompletionSource();
        h.Api.OnList(ApiResource.Autoscalers, Ok(Json.List(ApiResource.Autoscalers, "40",
            Json.Autoscaler("ai", "web", "40", "Deployment", "anythingllm", 1, 4),
            Json.Autoscaler("ai", "db", "41", "StatefulSet", "postgres", 1, 3),
            Json.Autoscaler("ai", "custom", "42", "Deployment", "anythingllm", 1, 9, targetApiVersion: "example.com/v1"))));
        h.Api.OnWatch(ApiResource.Autoscalers, "40",
            Events(Json.Modified(Json.Autoscaler("ai", "web", "43", "Deployment", "api", 2, 6))) with { Gate = release.Task });
        h.Api.OnList(ApiResource.StorageClasses, Ok(Json.List(ApiResource.StorageClasses, "9",
            Json.StorageClass("gp3", "8", "ebs.csi.aws.com", isDefault: true),
            Json.StorageClass("efs-sc", "9", "efs.csi.aws.com", annotations: new Dictionary<string, string> { ["rwx-guard.io/rwx"] = "true" }))));
        var view = h.Start();
        await h.UntilReadyAsync();

        var web = Assert.Single(view.AutoscalersTargeting(WorkloadKind.Deployment, "ai", "anythingllm"));
        Assert.Equal(("web", 4), (web.Name, web.MaxReplicas));
        Assert.Equal("db", Assert.Single(view.AutoscalersTargeting(WorkloadKind.StatefulSet, "ai", "postgres")).Name);
        Assert.Empty(view.AutoscalersTargeting(WorkloadKind.Deployment, "other", "anythingllm"));
        var classes = view.StorageClasses.Value!;
        Assert.Equal(["efs-sc", "gp3"], classes.Select(c => c.Name));
        Assert.Equal("true", classes[0].Annotations["rwx-guard.io/rwx"]);
        Assert.True(classes[1].IsDefault);

        release.SetResult();
        await Poll.UntilAsync(() => view.AutoscalersTargeting(WorkloadKind.Deployment, "ai", "api").Count == 1, "the HPA retargeted");
        Assert.Empty(view.AutoscalersTargeting(WorkloadKind.Deployment, "ai", "anythingllm"));
        Assert.Equal(6, view.AutoscalersTargeting(WorkloadKind.Deployment, "ai", "api")[0].MaxReplicas);
    }

    [Fact]
    public async Task Connection_refused_is_a_failure_named_in_the_status()
    {
        await using var h = new ViewHarness();
        var view = h.Start(ViewHarness.Fast(staleAfterSeconds: 0.2), host: $"http://127.0.0.1:{ClosedPort()}");

        await Poll.UntilAsync(() => h.Stats("persistentvolumeclaims").Failures >= 2, "repeated connection failures");
        var status = view.Status;
        Assert.False(status.Ready);
        Assert.Contains("not synced: persistentvolumeclaims (list failing since", status.Detail, StringComparison.Ordinal);
        Assert.Contains("refused", status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.All(view.GetStats().Caches, c => Assert.False(c.Synced));
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
