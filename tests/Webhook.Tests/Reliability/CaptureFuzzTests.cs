using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// Property: whatever is done to a real capture, the server answers with a well-formed AdmissionReview under a
/// documented status (200, 400, 413, 415), echoes the uid whenever it could be read, never reports an internal error
/// and never drops the connection. Mutations are seeded (<see cref="CaptureMutator"/>): a failure names its seed.
/// </summary>
public sealed class CaptureFuzzTests(ITestOutputHelper output)
{
    private static readonly int MutationsPerCapture = int.TryParse(Environment.GetEnvironmentVariable("RWXGUARD_FUZZ_CASES"), out var n) ? n : 40;
    private static readonly int[] DocumentedStatuses = [200, 400, 413, 415];

    [Fact]
    public async Task Every_mutation_of_every_capture_gets_a_well_formed_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var webhook = await RunningWebhook.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Server:MaxRequestBodyBytes"] = (256 * 1024).ToString(), // some long-string mutations go over it
        });
        var captures = Fixtures.AdmissionCaptures().Order(StringComparer.Ordinal)
            .Select(f => (Name: f, Review: Fixtures.Review(f)))
            .Append((Name: "robustness/datree-scale-header-with-pod-object-HYBRID.json",
                Review: JsonNode.Parse(Fixtures.Read(Path.Combine("admission", "robustness", "datree-scale-header-with-pod-object-HYBRID.json")))!.AsObject()))
            .ToList();
        var cases = captures.SelectMany((c, i) => Enumerable.Range(0, MutationsPerCapture).Select(m => (c.Name, c.Review, Seed: i * 1000 + m)))
            .ToList();

        var failures = new ConcurrentQueue<string>();
        var tally = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (c, token) =>
        {
            var (kind, body) = CaptureMutator.Mutate(c.Review, c.Seed);
            var path = c.Seed % 2 == 0 ? "/validate" : "/mutate";
            var problem = await CheckAsync(webhook.Client, path, body, token);
            tally.AddOrUpdate($"{kind} → {problem.Status}", 1, (_, n) => n + 1);
            if (problem.Error is not null)
                failures.Enqueue($"{c.Name} seed {c.Seed} ({kind}, {path}, {body.Length} bytes): {problem.Error}");
        });

        output.WriteLine($"{cases.Count} mutated requests in {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (var (key, count) in tally.OrderBy(t => t.Key, StringComparer.Ordinal)) output.WriteLine($"  {key}: {count}");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} answers broke the contract:\n" + string.Join('\n', failures.Take(20)));
        Assert.True(tally.Keys.Count(k => k.EndsWith("→ 200", StringComparison.Ordinal)) > 3, "the mutations were all rejected: too blunt to test decisions");

        // Still healthy, and still deciding the untouched captures as before.
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/healthz", ct)).StatusCode);
        var (status, answer) = await webhook.Client.PostAsync("/validate", Fixtures.Review("kwctl-pod-create-v1.json"));
        Assert.Equal(200, status);
        Assert.True(answer["response"]!["allowed"]!.GetValue<bool>());
    }

    private readonly record struct Check(string Status, string? Error);

    private static async Task<Check> CheckAsync(HttpClient client, string path, byte[] body, CancellationToken ct)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        string text;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            response = await client.PostAsync(path, content, timeout.Token);
            text = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Check("dropped", $"no answer: {e.GetType().Name}: {e.Message}");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var error = Validate(status, text, body, path);
            return new Check(status.ToString(), error);
        }
    }

    /// <summary>The contract of one answer; null when it holds.</summary>
    private static string? Validate(int status, string text, byte[] body, string path)
    {
        if (!DocumentedStatuses.Contains(status)) return $"HTTP {status}: {text}";
        JsonObject review;
        try
        {
            review = JsonNode.Parse(text)!.AsObject();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            return $"HTTP {status} with a body that is not an AdmissionReview: {text}";
        }
        var apiVersion = review["apiVersion"]?.GetValue<string>();
        if (apiVersion is not ("admission.k8s.io/v1" or "admission.k8s.io/v1beta1") || review["kind"]?.GetValue<string>() != "AdmissionReview")
            return $"not an AdmissionReview envelope: {text}";
        if (review["response"] is not JsonObject response || response["uid"] is null || response["allowed"] is null)
            return $"no response.uid/allowed: {text}";
        var uid = response["uid"]!.GetValue<string>();
        var allowed = response["allowed"]!.GetValue<bool>();
        var code = response["status"]?["code"]?.GetValue<int>();

        if (status != 200 && (allowed || code != status)) return $"HTTP {status} but response {text}";
        if (code >= 500) return $"internal error: {text}";
        if (allowed && code is not null and >= 400) return $"allowed with a failure status: {text}";
        if (response["patch"] is not null)
        {
            if (path == "/validate") return $"a validating answer carries a patch: {text}";
            if (response["patchType"]?.GetValue<string>() != "JSONPatch") return $"patch without patchType: {text}";
            if (JsonNode.Parse(Convert.FromBase64String(response["patch"]!.GetValue<string>())) is not JsonArray)
                return $"patch is not a JSON Patch array: {text}";
        }

        var (readable, sentVersion, uids) = Readable(body);
        if (readable && uids.Count > 0)
        {
            if (!uids.Contains(uid)) return $"uid {uid} echoed, the request's was {string.Join(" or ", uids)}";
            if (sentVersion is "admission.k8s.io/v1" or "admission.k8s.io/v1beta1" && sentVersion != apiVersion)
                return $"answered in {apiVersion} to a {sentVersion} request";
        }
        else if (uid.Length > 0 && !Encoding.UTF8.GetString(body).Contains($"\"uid\":\"{uid}\"", StringComparison.Ordinal))
        {
            return $"echoed uid {uid}, which is not in the request";
        }
        return null;
    }

    /// <summary>
    /// Whether the body is valid JSON within the server's nesting limit (64), and if so the request's apiVersion and
    /// every non-empty string under request.uid (a duplicated key may carry two).
    /// </summary>
    private static (bool Readable, string? ApiVersion, List<string> Uids) Readable(byte[] body)
    {
        var uids = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (true, null, uids);
            string? apiVersion = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("apiVersion") && property.Value.ValueKind == JsonValueKind.String)
                    apiVersion = property.Value.GetString();
                if (!property.NameEquals("request") || property.Value.ValueKind != JsonValueKind.Object) continue;
                foreach (var field in property.Value.EnumerateObject())
                    if (field.NameEquals("uid") && field.Value.ValueKind == JsonValueKind.String && field.Value.GetString() is { Length: > 0 } u)
                        uids.Add(u);
            }
            return (true, apiVersion, uids);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (found only when it is read).
            return (false, null, uids);
        }
    }
}
