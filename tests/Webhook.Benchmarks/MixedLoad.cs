using System.Diagnostics;
using System.Net.Http.Headers;

namespace RwxGuard.Benchmarks;

/// <summary>One kind of request in a mixed load: variants of one request (distinct objects and uids), drawn by weight.</summary>
/// <param name="Malformed">A body that must be answered 400 with an error AdmissionReview (the soak's cut-short bodies).</param>
public sealed record LoadKind(string Name, string Path, int Weight, byte[][] Bodies, string[] Uids, bool Malformed = false)
{
    /// <summary><paramref name="variants"/> bodies from <paramref name="build"/> (given the variant's number), each with its own uid.</summary>
    public static LoadKind Of(string name, string path, int weight, int variants, Func<int, byte[]> build, bool malformed = false)
    {
        var uids = Enumerable.Range(0, variants).Select(_ => Guid.NewGuid().ToString()).ToArray();
        var bodies = Enumerable.Range(0, variants).Select(v => malformed ? build(v) : Requests.WithUid(build(v), uids[v])).ToArray();
        return new LoadKind(name, path, weight, bodies, uids, malformed);
    }
}

/// <summary>Counts per request kind.</summary>
public sealed class LoadTally
{
    public long Requests, Errors, Allowed, Denied, Patched, Unavailable, ExpectedBadRequests;
}

/// <summary>
/// In-process HTTPS workers (keep-alive) posting a weighted mix of request kinds until stopped; every answer is checked
/// (HTTP 200, its own uid echoed, or the intended 400 for malformed bodies) and classified (allowed, denied, patched).
/// </summary>
public sealed class MixedLoad(Uri server, IReadOnlyList<LoadKind> kinds, int workers)
{
    public IReadOnlyDictionary<string, LoadTally> Tallies { get; } = kinds.ToDictionary(k => k.Name, _ => new LoadTally());

    /// <summary>Called for every failed answer with the kind's tally and a description.</summary>
    public Action<LoadTally, string> OnFailure { get; init; } = (_, _) => { };

    private readonly List<double>[] _latencies = new List<double>[workers];

    public long Requests => Tallies.Values.Sum(t => Interlocked.Read(ref t.Requests));
    public long Errors => Tallies.Values.Sum(t => Interlocked.Read(ref t.Errors));

    /// <summary>Every latency in milliseconds, sorted (call after <see cref="RunAsync"/> returned).</summary>
    public double[] SortedLatencies() => [.. _latencies.Where(l => l is not null).SelectMany(l => l).Order()];

    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    public async Task RunAsync(CancellationToken stop)
    {
        using var client = Harness.Client(workers);
        var totalWeight = kinds.Sum(k => k.Weight);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var mine = _latencies[w] = new List<double>(100_000);
            while (!stop.IsCancellationRequested)
            {
                var pick = random.Next(totalWeight);
                var kind = kinds.First(k => (pick -= k.Weight) < 0);
                var variant = random.Next(kind.Bodies.Length);
                var (body, uid) = (kind.Bodies[variant], kind.Uids[variant]);
                var tally = Tallies[kind.Name];
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.PostAsync(new Uri(server, kind.Path), content, CancellationToken.None);
                    var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref tally.Requests);
                    var status = (int)response.StatusCode;
                    if (kind.Malformed)
                    {
                        if (status == 400 && text.Contains("\"allowed\":false", StringComparison.Ordinal))
                            Interlocked.Increment(ref tally.ExpectedBadRequests);
                        else
                            Fail(tally, $"{kind.Name}: HTTP {status} {Cut(text)}");
                        continue;
                    }
                    if (status != 200) Fail(tally, $"{kind.Name}: HTTP {status} {Cut(text)}");
                    else if (!text.Contains($"\"uid\":\"{uid}\"", StringComparison.Ordinal)) Fail(tally, $"{kind.Name}: answer for another uid: {Cut(text)}");
                    else Classify(tally, text);
                }
                catch (Exception e)
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref tally.Requests);
                    Fail(tally, $"{kind.Name}: {e.GetType().Name}: {e.Message} {e.InnerException?.Message}");
                }
            }
        }))).ConfigureAwait(false);
    }

    private void Fail(LoadTally tally, string what)
    {
        Interlocked.Increment(ref tally.Errors);
        OnFailure(tally, what);
    }

    private static string Cut(string text) => text.Length > 200 ? text[..200] + "…" : text;

    private static void Classify(LoadTally tally, string text)
    {
        if (text.Contains("\"patchType\"", StringComparison.Ordinal)) Interlocked.Increment(ref tally.Patched);
        else if (text.Contains("\"allowed\":false", StringComparison.Ordinal)) Interlocked.Increment(ref tally.Denied);
        else Interlocked.Increment(ref tally.Allowed);
        if (text.Contains("cluster view unavailable", StringComparison.Ordinal)) Interlocked.Increment(ref tally.Unavailable);
    }
}
