using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// Client loops posting real captures until stopped, counting answers and keeping every failure: an exception (a
/// dropped or refused connection, a TLS failure), a status other than 200, or an answer for another uid.
/// </summary>
public sealed class LoadLoop : IAsyncDisposable
{
    private static readonly string[] Captures =
    [
        "datree-deployment-create-replicas2-v1.json", "kw-deployment-update-with-oldobject-v1req.json",
        "kw-pvc-create-rwo-storageclass-fast-v1req.json", "kwctl-pod-create-v1.json", "kw-deployment-delete-v1req.json",
        "imageswap-deployment-create-replicas3-v1beta1.json", "kw-statefulset-create-vct-replicas3-v1req.json",
    ];

    private static readonly (string Uid, byte[] Body)[] Bodies =
        [.. Captures.Select(Fixtures.Review).Select(r => (r["request"]!["uid"]!.GetValue<string>(), System.Text.Encoding.UTF8.GetBytes(r.ToJsonString())))];

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private long _requests;

    public ConcurrentQueue<string> Failures { get; } = new();
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>
    /// Starts <paramref name="workers"/> loops; for each request a worker asks <paramref name="pick"/> for the client
    /// (so the connection policy or the instance) and a label naming it in failures.
    /// </summary>
    public void Start(int workers, Func<int, (HttpClient Client, string Label)> pick, Action<int, HttpRequestMessage>? prepare = null)
    {
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            _workers.Add(Task.Run(async () =>
            {
                for (var i = worker; !_stop.IsCancellationRequested; i++)
                {
                    var (uid, body) = Bodies[i % Bodies.Length];
                    using var request = new HttpRequestMessage(HttpMethod.Post, i % 3 == 2 ? "/mutate" : "/validate")
                    {
                        Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
                    };
                    prepare?.Invoke(worker, request);
                    var (client, target) = pick(worker);
                    try
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                        using var response = await client.SendAsync(request, timeout.Token);
                        var text = await response.Content.ReadAsStringAsync(timeout.Token);
                        if (response.StatusCode != HttpStatusCode.OK)
                            Failures.Enqueue($"{target}: HTTP {(int)response.StatusCode} {text}");
                        else if (JsonNode.Parse(text)?["response"]?["uid"]?.GetValue<string>() != uid)
                            Failures.Enqueue($"{target}: answer for another uid: {text}");
                    }
                    catch (Exception e)
                    {
                        Failures.Enqueue($"{target}: {e.GetType().Name}: {e.Message} {e.InnerException?.Message}");
                    }
                    Interlocked.Increment(ref _requests);
                }
            }));
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
