using RwxGuard.Benchmarks.Shape;

namespace RwxGuard.Benchmarks;

/// <summary>One request wrk sends again and again, and the decision it must get.</summary>
public sealed record Scenario(string Name, string Path, byte[] Body, string ExpectDecision)
{
    /// <summary>
    /// The three realistic requests, on the first Deployment of <paramref name="shape"/> that mounts a single-attach claim
    /// in a namespace left at the default mode (enforce), so the two validations are denials.
    /// </summary>
    public static List<Scenario> For(ClusterShape shape)
    {
        var app = Enumerable.Range(0, 64).Select(shape.SingleAttachApp).First(i => shape.NamespaceMode(shape.NamespaceIndexOf(i)) is null);
        var ns = shape.NamespaceOf(app);
        return
        [
            // A new Deployment (2 replicas) mounting claim-i (RWO, bound): denied, the whole decision path.
            new("deployment-create", "/validate", Requests.DeploymentCreate(ns, "app-new", $"claim-{app}"), "\"allowed\":false"),
            // kubectl scale deployment/app-i --replicas=3 on its RWO claim: denied (the template comes from the view).
            new("scale-update", "/validate", Requests.ScaleUpdate(ns, $"app-{app}", 3), "\"allowed\":false"),
            // A new AnythingLLM claim: patched to ReadWriteMany on efs-sc.
            new("claim-create", "/mutate", Requests.ClaimCreate(ns, "anythingllm-storage"), "\"patchType\":\"JSONPatch\""),
        ];
    }

    /// <summary>Each request once: its decision must be the expected one (a benchmark of wrong answers measures nothing).</summary>
    public static async Task CheckAsync(int port, IEnumerable<Scenario> scenarios)
    {
        using var client = Harness.Client();
        foreach (var scenario in scenarios)
        {
            var content = new ByteArrayContent(scenario.Body);
            content.Headers.ContentType = new("application/json");
            var response = await client.PostAsync($"https://127.0.0.1:{port}{scenario.Path}", content);
            var text = await response.Content.ReadAsStringAsync();
            Console.WriteLine($"# {scenario.Name}: {scenario.Body.Length} bytes → HTTP {(int)response.StatusCode} {text[..Math.Min(text.Length, 160)]}");
            if (!text.Contains(scenario.ExpectDecision, StringComparison.Ordinal))
                throw new InvalidOperationException($"{scenario.Name}: expected {scenario.ExpectDecision} in HTTP {(int)response.StatusCode} {text}");
        }
    }
}
