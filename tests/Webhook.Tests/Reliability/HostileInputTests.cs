using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// What BadInputTests does not cover: huge arrays, a body declared but never sent, clients that trickle bytes (Kestrel's
/// RequestHeadersTimeout and MinRequestBodyDataRate), each through the real HTTPS server, which keeps answering.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Limit = 1024 * 1024;
    private RunningWebhook _webhook = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _webhook = await RunningWebhook.StartAsync(
        settings: new Dictionary<string, string?> { ["Server:MaxRequestBodyBytes"] = Limit.ToString() });

    public async ValueTask DisposeAsync() => await _webhook.DisposeAsync();

    private int Port => _webhook.BaseAddress.Port;

    [Fact]
    public async Task Huge_arrays_under_the_limit_get_a_decision_quickly()
    {
        // 1. 150,000 numbers in a field nobody reads, at two levels.
        var review = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        var uid = review["request"]!["uid"]!.GetValue<string>();
        var numbers = "[" + string.Join(',', Enumerable.Repeat("7", 150_000)) + "]";
        var body = review.ToJsonString();
        body = body.Insert(body.IndexOf("\"request\":{", StringComparison.Ordinal) + "\"request\":{".Length, $"\"noise\":{numbers},");
        body = body.Insert(1, $"\"noise\":{numbers},");
        Assert.True(body.Length is > 500_000 and < Limit);
        await AssertDecidedAsync(body, uid, "/validate");

        // 2. A pod template with 8,000 claim volumes and 2,000 containers: every element is read and looked up.
        var volumes = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        var podSpec = volumes["request"]!["object"]!["spec"]!["template"]!["spec"]!.AsObject();
        podSpec["volumes"] = new JsonArray([.. Enumerable.Range(0, 8_000).Select(i => (JsonNode)new JsonObject
        {
            ["name"] = $"v{i}",
            ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = $"c{i}" },
        })]);
        podSpec["containers"] = new JsonArray([.. Enumerable.Range(0, 2_000).Select(i => (JsonNode)new JsonObject
        {
            ["name"] = $"c{i}", ["image"] = "nginx:1.27",
        })]);
        Assert.True(volumes.ToJsonString().Length < Limit);
        var answer = await AssertDecidedAsync(volumes.ToJsonString(), uid, "/validate");
        // Warnings stay within the API server's limits however many claims there are.
        if (answer["warnings"] is JsonArray warnings)
            Assert.True(warnings.Sum(w => w!.GetValue<string>().Length) <= 4096, $"{warnings.Count} warnings");

        // 3. The same claim CREATE with 50,000 access modes, through the mutator.
        var claim = Fixtures.Review("kw-pvc-create-rwo-storageclass-fast-v1req.json");
        claim["request"]!["object"]!["spec"]!["accessModes"] = new JsonArray([.. Enumerable.Repeat(0, 50_000).Select(_ => (JsonNode)"ReadWriteOnce")]);
        await AssertDecidedAsync(claim.ToJsonString(), claim["request"]!["uid"]!.GetValue<string>(), "/mutate");
    }

    [Fact]
    public async Task A_huge_array_over_the_limit_is_413()
    {
        var review = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        review["request"]!["object"]!["metadata"]!["annotations"] = new JsonObject
        {
            ["big"] = new JsonArray([.. Enumerable.Repeat(0, 600_000).Select(_ => (JsonNode)1)]),
        };
        var (code, body) = await _webhook.Client.PostAsync("/validate", review);
        Assert.Equal(413, code);
        Assert.Equal(413, body["response"]!["status"]!["code"]!.GetValue<int>());
    }

    /// <summary>Found by the fuzz test (seed 5030): <c>"containers": [null]</c> was an internal error (HTTP 200, code 500).</summary>
    [Fact]
    public async Task Null_elements_in_lists_are_skipped_not_an_internal_error()
    {
        var review = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");
        var obj = review["request"]!["object"]!;
        obj["metadata"]!["ownerReferences"] = new JsonArray(null, new JsonObject { ["kind"] = "X" });
        var podSpec = obj["spec"]!["template"]!["spec"]!.AsObject();
        podSpec["containers"]!.AsArray().Add(null);
        podSpec["initContainers"] = new JsonArray(null, new JsonObject { ["name"] = "init", ["env"] = new JsonArray((JsonNode?)null) });
        podSpec["volumes"]!.AsArray().Insert(0, null);
        var answer = await AssertDecidedAsync(review.ToJsonString(), review["request"]!["uid"]!.GetValue<string>(), "/validate");
        Assert.NotEqual(500, answer["status"]?["code"]?.GetValue<int>() ?? 0);
        // The claim after the null volume still counts: offline, it is an unknown claim (a warning).
        Assert.Contains("claim-not-found", answer["auditAnnotations"]!["rules"]!.GetValue<string>());
    }

    /// <summary>
    /// Found while measuring the huge-array cases: claim names were de-duplicated with List.Contains, so 32,000 volumes
    /// (2 MB, under the 7 MiB default limit) took 1.7 s of CPU per request, growing with the square of the count. Now linear.
    /// </summary>
    [Fact]
    public void Collecting_the_claims_of_a_huge_pod_spec_is_linear()
    {
        var template = new RwxGuard.Mapping.PodTemplate
        {
            Spec = new RwxGuard.Mapping.PodSpec
            {
                Volumes = [.. Enumerable.Range(0, 100_000).Select(i => new RwxGuard.Mapping.Volume
                {
                    Name = $"v{i}",
                    PersistentVolumeClaim = new RwxGuard.Mapping.ClaimVolumeSource { ClaimName = $"c{i % 50_000}" },
                })],
            },
        };
        var clock = Stopwatch.StartNew();
        var info = RwxGuard.Mapping.ShapeMapping.ToTemplate(template);
        Assert.Equal(50_000, info.ClaimNames.Count); // de-duplicated, in order
        Assert.Equal("c0", info.ClaimNames[0]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}"); // quadratic: about 7 s here
    }

    private async Task<JsonNode> AssertDecidedAsync(string body, string uid, string path)
    {
        var clock = Stopwatch.StartNew();
        var (code, review) = await _webhook.Client.PostRawAsync(path, Fixtures.Json(body));
        output.WriteLine($"{path} {body.Length / 1024} KB → HTTP {code} in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(200, code);
        Assert.Equal(uid, review["response"]!["uid"]!.GetValue<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        return review["response"]!;
    }

    [Fact]
    public async Task A_declared_body_over_the_limit_is_refused_before_any_of_it_is_sent()
    {
        await using var raw = await RawHttps.ConnectAsync(Port, Ct);
        // 1 GiB announced, not one byte of it sent: the answer cannot have waited for the body.
        await raw.WriteAsync(RawHttps.Head("/validate", 1L << 30), Ct);
        var clock = Stopwatch.StartNew();
        var (status, body) = await raw.ReadResponseAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(413, status);
        Assert.Contains("1073741824 bytes exceeds the limit", body);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"answered after {clock.Elapsed}");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_endless_chunked_body_is_cut_at_the_limit()
    {
        await using var raw = await RawHttps.ConnectAsync(Port, Ct);
        await raw.WriteAsync(RawHttps.Head("/validate", null, chunked: true), Ct);
        var response = raw.ReadResponseAsync(TimeSpan.FromSeconds(20), Ct);
        // Keep sending 64 KB chunks until the server answers: 64 MB at most, 64 times the limit.
        var chunk = Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n{new string(' ', 64 * 1024)}\r\n");
        long sent = 0;
        for (var i = 0; i < 1024 && !response.IsCompleted; i++)
        {
            try
            {
                await raw.WriteAsync(chunk, Ct);
                sent += 64 * 1024;
            }
            catch (IOException)
            {
                break; // the server answered and closed
            }
        }
        var (status, body) = await response;
        output.WriteLine($"sent {sent / 1024} KB before the answer");
        Assert.Equal(413, status);
        Assert.Contains("exceeds the limit", body);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_client_trickling_its_headers_is_cut_off_after_the_headers_timeout()
    {
        await using var raw = await RawHttps.ConnectAsync(Port, Ct);
        var closed = raw.ReadToEndAsync(HttpsListener.RequestHeadersTimeout + TimeSpan.FromSeconds(10), Ct);
        // One header byte every 500 ms: the request line and headers never complete within 10 s.
        var head = Encoding.ASCII.GetBytes(RawHttps.Head("/validate", 100) + new string('x', 200));
        var (elapsed, _) = await raw.TrickleAsync(head, 1, TimeSpan.FromMilliseconds(500),
            HttpsListener.RequestHeadersTimeout + TimeSpan.FromSeconds(8), closed, Ct);
        var (text, wasClosed) = await closed;
        output.WriteLine($"closed={wasClosed} after {elapsed.TotalSeconds:0.0} s: {text.Split("\r\n")[0]}");
        Assert.True(wasClosed, "the server kept the trickling connection open");
        Assert.InRange(elapsed, HttpsListener.RequestHeadersTimeout - TimeSpan.FromSeconds(1),
            HttpsListener.RequestHeadersTimeout + TimeSpan.FromSeconds(6));
        if (text.Length > 0) Assert.StartsWith("HTTP/1.1 408", text);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_client_trickling_its_body_below_the_minimum_rate_is_cut_off()
    {
        await using var raw = await RawHttps.ConnectAsync(Port, Ct);
        var body = Encoding.UTF8.GetBytes(Fixtures.Review("datree-deployment-create-replicas2-v1.json").ToJsonString());
        await raw.WriteAsync(RawHttps.Head("/validate", body.Length), Ct);
        var closed = raw.ReadToEndAsync(TimeSpan.FromSeconds(25), Ct);
        // 10 bytes every 200 ms = 50 B/s, under Kestrel's 240 B/s once its 5 s grace is over.
        var (elapsed, _) = await raw.TrickleAsync(body, 10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(20), closed, Ct);
        var (text, wasClosed) = await closed;
        output.WriteLine($"closed={wasClosed} after {elapsed.TotalSeconds:0.0} s: {text}");
        Assert.True(wasClosed, "the server kept the trickling connection open");
        Assert.InRange(elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(15));
        if (text.Length > 0) Assert.Matches(@"^HTTP/1\.1 (408|400) ", text);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_slow_but_steady_client_is_served()
    {
        await using var raw = await RawHttps.ConnectAsync(Port, Ct);
        var review = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        var body = Encoding.UTF8.GetBytes(review.ToJsonString());
        await raw.WriteAsync(RawHttps.Head("/validate", body.Length), Ct);
        var response = raw.ReadResponseAsync(TimeSpan.FromSeconds(30), Ct);
        // About 2 KB/s for the whole body (~12 KB over ~6 s): slow, but above the minimum rate.
        await raw.TrickleAsync(body, 200, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(20), response, Ct);
        var (status, text) = await response;
        Assert.Equal(200, status);
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), JsonNode.Parse(text)!["response"]!["uid"]!.GetValue<string>());
    }

    private async Task AssertStillServingAsync()
    {
        Assert.Equal(HttpStatusCode.OK, (await _webhook.Client.GetAsync("/healthz", Ct)).StatusCode);
        var (code, review) = await _webhook.Client.PostAsync("/validate", Fixtures.Review("kwctl-pod-create-v1.json"));
        Assert.Equal(200, code);
        Assert.True(review["response"]!["allowed"]!.GetValue<bool>());
    }
}
