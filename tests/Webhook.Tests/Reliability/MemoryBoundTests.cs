using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// The webhook as its own process under a flood of hostile bodies: its resident memory stays bounded by the body limit
/// times the requests in flight, not by what clients send, and the process keeps answering.
/// </summary>
public sealed class MemoryBoundTests(ITestOutputHelper output)
{
    private const int Limit = 1024 * 1024;
    private const int Workers = 16;
    private const int Rounds = 6;
    /// <summary>What each endless chunked body would add up to if the server read it whole.</summary>
    private const long EndlessBytes = 32L * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Resident_memory_stays_bounded_under_a_flood_of_oversized_huge_and_malformed_bodies()
    {
        await using var webhook = await WebhookProcess.StartAsync(new Dictionary<string, string>
        {
            ["Server__MaxRequestBodyBytes"] = Limit.ToString(),
        });
        using var client = webhook.CreateClient();

        var capture = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        var normal = capture.ToJsonString();
        var hugeArray = HugeArrayBody(capture);
        var deep = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"x\":" +
                   new string('[', 100_000) + new string(']', 100_000) + "}}";

        // Warm up: JIT, pools and the GC settle at their working size first.
        for (var i = 0; i < 100; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/validate", Fixtures.Json(i % 2 == 0 ? normal : hugeArray), Ct)).StatusCode);
        var before = webhook.RssMiB();

        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested && !webhook.HasExited)
            {
                peak = Math.Max(peak, webhook.RssMiB());
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { }
            }
        }, Ct);

        var clock = Stopwatch.StartNew();
        var statuses = new int[600];
        long clientBytes = 0;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                // An endless chunked body, a 1 GiB promise, a 0.9 MB array, 100,000 levels of nesting, garbage.
                var (status, sent) = await EndlessChunkedAsync(webhook.Port);
                Interlocked.Add(ref clientBytes, sent);
                Interlocked.Increment(ref statuses[status]);
                Interlocked.Increment(ref statuses[await DeclaredGiBAsync(webhook.Port)]);
                foreach (var body in new[] { hugeArray, deep, "{\"apiVersion\":" + new string('"', 500_000), normal })
                {
                    using var response = await client.PostAsync(w % 2 == 0 ? "/validate" : "/mutate", Fixtures.Json(body), Ct);
                    await response.Content.ReadAsStringAsync(Ct);
                    Interlocked.Increment(ref statuses[(int)response.StatusCode]);
                }
            }
        }, Ct)));
        var flood = clock.Elapsed;

        await sampling.CancelAsync();
        await sampler;
        var after = webhook.RssMiB();
        var summary = string.Join(", ", statuses.Select((n, s) => (n, s)).Where(x => x.n > 0).Select(x => $"HTTP {x.s}: {x.n}"));
        output.WriteLine($"{Workers} workers × {Rounds} rounds in {flood.TotalSeconds:0.0} s; {summary}; " +
                         $"client sent {clientBytes / (1024 * 1024)} MiB of endless bodies");
        output.WriteLine($"RSS before {before:0} MiB, peak {peak:0} MiB, after {after:0} MiB (VmHWM {webhook.RssMiB("VmHWM"):0} MiB)");

        Assert.False(webhook.HasExited, webhook.Log);
        // Each kind got its defined answer: 413 for the endless and the promised bodies, 200 for the huge array and the
        // capture, 400 for the nesting and the garbage; nothing else (no 500, no dropped connection: that would throw).
        Assert.Equal(2 * Workers * Rounds, statuses[413]);
        Assert.Equal(2 * Workers * Rounds, statuses[200]);
        Assert.Equal(2 * Workers * Rounds, statuses[400]);
        // Bounded: every endless body was cut at 1 MiB, so at most Workers × the limit (plus pools and GC headroom) is
        // ever held. Reading them whole would have needed Workers × 32 MiB = 512 MiB.
        Assert.True(peak - before < 160, $"RSS grew from {before:0} MiB to a peak of {peak:0} MiB");
        Assert.True(clientBytes < Workers * Rounds * EndlessBytes / 2, "the endless bodies were read to their end");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/validate", Fixtures.Json(normal), Ct)).StatusCode);
    }

    /// <summary>A capture with 120,000 numbers in an unknown field: 0.9 MB, under the limit, decided.</summary>
    private static string HugeArrayBody(JsonObject capture)
    {
        var body = capture.ToJsonString();
        var numbers = "[" + string.Join(',', Enumerable.Repeat("1", 120_000)) + "]";
        return body.Insert(1, $"\"noise\":{numbers},");
    }

    private static async Task<(int Status, long Sent)> EndlessChunkedAsync(int port)
    {
        await using var raw = await RawHttps.ConnectAsync(port, Ct);
        await raw.WriteAsync(RawHttps.Head("/validate", null, chunked: true), Ct);
        var response = raw.ReadResponseAsync(TimeSpan.FromSeconds(60), Ct);
        var chunk = Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n{new string('1', 64 * 1024)}\r\n");
        long sent = 0;
        while (sent < EndlessBytes && !response.IsCompleted)
        {
            try
            {
                await raw.WriteAsync(chunk, Ct);
                sent += 64 * 1024;
            }
            catch (IOException)
            {
                break;
            }
        }
        return ((await response).Status, sent);
    }

    private static async Task<int> DeclaredGiBAsync(int port)
    {
        await using var raw = await RawHttps.ConnectAsync(port, Ct);
        await raw.WriteAsync(RawHttps.Head("/mutate", 1L << 30), Ct);
        return (await raw.ReadResponseAsync(TimeSpan.FromSeconds(30), Ct)).Status;
    }
}
