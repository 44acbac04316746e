using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// Two instances behind a client-side round robin that works like Service endpoints: an instance leaves the rotation
/// once its /readyz fails. One instance is stopped (what SIGTERM does) while the load runs: not one request fails, a
/// slow request in flight when the listener closes still completes, and the host stops within its grace period.
/// </summary>
public sealed class ShutdownUnderLoadTests(ITestOutputHelper output)
{
    private const double DelaySeconds = 2;
    private const double TimeoutSeconds = 5;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_one_of_two_instances_under_load_fails_no_request()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Server:ShutdownDelaySeconds"] = DelaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Server:ShutdownTimeoutSeconds"] = TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var a = await RunningWebhook.StartAsync(settings: settings);
        await using var b = await RunningWebhook.StartAsync(settings: settings);
        using var balancer = new EndpointsBalancer([a, b]);

        await using var load = new LoadLoop();
        load.Start(8, _ => balancer.Next());
        await Task.Delay(1000, Ct);
        var servedByABeforeStop = balancer.Sent(0);

        // Slow requests straight to the instance being stopped: one already in flight when it is told to stop, one
        // started during the drain delay. Both are still sending their bodies when Kestrel stops accepting.
        var inFlight = SlowPostAsync(a, TimeSpan.FromSeconds(DelaySeconds + 1.5));
        await Task.Delay(200, Ct);

        var sigterm = Stopwatch.GetTimestamp();
        var stopping = a.App.StopAsync(CancellationToken.None); // what SIGTERM does
        await Task.Delay(TimeSpan.FromSeconds(DelaySeconds / 2), Ct);
        var duringDelay = SlowPostAsync(a, TimeSpan.FromSeconds(DelaySeconds));
        await stopping;
        var stoppedAfter = Stopwatch.GetElapsedTime(sigterm);
        var removedAfter = balancer.RemovedAt(0) is { } removed ? Stopwatch.GetElapsedTime(sigterm, removed) : (TimeSpan?)null;

        await Task.Delay(1000, Ct); // the load goes on against the remaining instance
        await load.StopAsync();

        var (first, second) = (await inFlight, await duringDelay);
        var firstDone = Stopwatch.GetElapsedTime(sigterm, first.DoneAt);
        var secondDone = Stopwatch.GetElapsedTime(sigterm, second.DoneAt);
        output.WriteLine($"{load.Requests} requests, {load.Failures.Count} failed; instance A got {balancer.Sent(0)} " +
                         $"({servedByABeforeStop} before the stop), B {balancer.Sent(1)}; after SIGTERM: A out of rotation at " +
                         $"{removedAfter?.TotalSeconds:0.00} s, slow requests answered {first.Status} at {firstDone.TotalSeconds:0.00} s " +
                         $"and {second.Status} at {secondDone.TotalSeconds:0.00} s, host stopped at {stoppedAfter.TotalSeconds:0.00} s");

        Assert.True(load.Failures.IsEmpty, string.Join('\n', load.Failures.Take(10)));
        Assert.True(servedByABeforeStop > 0 && balancer.Sent(1) > 0, "both instances served before the stop");
        Assert.NotNull(removedAfter);
        Assert.True(removedAfter < TimeSpan.FromSeconds(DelaySeconds), "the instance was still in rotation when it stopped listening");
        // Both slow requests were still running when the listener closed (after the delay), and both completed.
        Assert.Equal(200, first.Status);
        Assert.Equal(200, second.Status);
        Assert.True(firstDone > TimeSpan.FromSeconds(DelaySeconds) && secondDone > TimeSpan.FromSeconds(DelaySeconds),
            "a slow request ended before the listener closed: it proves nothing");
        // Not ready at once, serving for the delay, then draining what is in flight: done within delay + timeout.
        // The host waited for them (it finishes as their answers go out; the client reads them a moment later).
        var lastAnswer = firstDone > secondDone ? firstDone : secondDone;
        Assert.True(stoppedAfter > lastAnswer - TimeSpan.FromSeconds(0.5), "the host stopped well before its requests were answered");
        Assert.InRange(stoppedAfter, TimeSpan.FromSeconds(DelaySeconds), TimeSpan.FromSeconds(DelaySeconds + TimeoutSeconds + 1));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => new HttpClient(
            RunningWebhook.CreateHandler(a.Services, null)) { BaseAddress = a.BaseAddress }.GetAsync("/healthz", Ct));
    }

    /// <summary>
    /// A real capture posted with its body spread over <paramref name="duration"/> (above Kestrel's minimum rate), each
    /// piece flushed, so the server has the request line and part of the body at once: the request is in flight.
    /// </summary>
    private static async Task<(int Status, long DoneAt)> SlowPostAsync(RunningWebhook webhook, TimeSpan duration)
    {
        var review = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        var uid = review["request"]!["uid"]!.GetValue<string>();
        using var client = new HttpClient(RunningWebhook.CreateHandler(webhook.Services, null)) { BaseAddress = webhook.BaseAddress };
        try
        {
            using var response = await client.PostAsync("/validate", new SlowContent(Encoding.UTF8.GetBytes(review.ToJsonString()), duration), Ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal(uid, answer["response"]!["uid"]!.GetValue<string>());
            return ((int)response.StatusCode, Stopwatch.GetTimestamp());
        }
        catch (HttpRequestException e)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"slow request failed: {e.Message} {e.InnerException?.Message}");
            return (-1, Stopwatch.GetTimestamp());
        }
    }

    private sealed class SlowContent : HttpContent
    {
        private const int Pieces = 20;
        private readonly byte[] _data;
        private readonly TimeSpan _duration;

        public SlowContent(byte[] data, TimeSpan duration)
        {
            (_data, _duration) = (data, duration);
            Headers.ContentType = new("application/json");
            Headers.ContentLength = data.Length;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var i = 0; i < Pieces; i++)
            {
                var (from, to) = (i * _data.Length / Pieces, (i + 1) * _data.Length / Pieces);
                await stream.WriteAsync(_data.AsMemory(from, to - from), Ct);
                await stream.FlushAsync(Ct);
                if (i < Pieces - 1) await Task.Delay(_duration / Pieces, Ct);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _data.Length;
            return true;
        }
    }

    /// <summary>
    /// Round robin over the instances in rotation; a probe every 100 ms takes an instance out once its /readyz fails,
    /// the way the endpoints controller removes a pod that is not ready.
    /// </summary>
    private sealed class EndpointsBalancer : IDisposable
    {
        private readonly RunningWebhook[] _instances;
        private readonly bool[] _inRotation;
        private readonly long[] _sent;
        private readonly long[] _removedAt;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _probe;
        private long _next;

        public EndpointsBalancer(RunningWebhook[] instances)
        {
            _instances = instances;
            _inRotation = [.. instances.Select(_ => true)];
            _sent = new long[instances.Length];
            _removedAt = [.. instances.Select(_ => -1L)];
            _probe = Task.Run(ProbeAsync);
        }

        public (HttpClient Client, string Label) Next()
        {
            for (var tries = 0; ; tries++)
            {
                if (tries > _instances.Length) throw new InvalidOperationException("no instance in rotation");
                var i = (int)(Interlocked.Increment(ref _next) % _instances.Length);
                if (!Volatile.Read(ref _inRotation[i])) continue;
                Interlocked.Increment(ref _sent[i]);
                return (_instances[i].Client, i == 0 ? "instance A" : "instance B");
            }
        }

        public long Sent(int instance) => Interlocked.Read(ref _sent[instance]);

        /// <summary>The Stopwatch timestamp at which the instance left the rotation; null while it is in.</summary>
        public long? RemovedAt(int instance) => Interlocked.Read(ref _removedAt[instance]) is var at && at > 0 ? at : null;

        private async Task ProbeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                for (var i = 0; i < _instances.Length; i++)
                {
                    if (!Volatile.Read(ref _inRotation[i])) continue;
                    bool ready;
                    try
                    {
                        using var response = await _instances[i].Client.GetAsync("/readyz", _stop.Token);
                        ready = response.StatusCode == HttpStatusCode.OK;
                    }
                    catch (Exception) when (!_stop.IsCancellationRequested)
                    {
                        ready = false;
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    if (ready) continue;
                    Interlocked.Exchange(ref _removedAt[i], Stopwatch.GetTimestamp());
                    Volatile.Write(ref _inRotation[i], false);
                }
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { return; }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { _probe.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            _stop.Dispose();
        }
    }
}
