using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure;

/// <summary>The real captures and manifests copied into tests/Webhook.Tests/Fixtures (see SOURCES.md there).</summary>
public static class Fixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static IEnumerable<string> AdmissionCaptures() =>
        Directory.GetFiles(Path.Combine(Dir, "admission"), "*.json").Select(Path.GetFileName)!;

    public static string Read(string relative) => File.ReadAllText(Path.Combine(Dir, relative));

    /// <summary>A capture as an AdmissionReview: files named *-v1req.json are bare requests and get wrapped first.</summary>
    public static JsonObject Review(string captureFile)
    {
        var node = JsonNode.Parse(Read(Path.Combine("admission", captureFile)))!.AsObject();
        return captureFile.EndsWith("-v1req.json", StringComparison.Ordinal) ? Wrap(node) : node;
    }

    public static JsonObject Wrap(JsonObject request, string apiVersion = "admission.k8s.io/v1") => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = "AdmissionReview",
        ["request"] = request,
    };

    public static HttpContent Json(JsonNode node) => Json(node.ToJsonString());

    public static HttpContent Json(string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Adds a persistentVolumeClaim volume to the pod template of a workload request.</summary>
    public static JsonObject MountClaim(JsonObject review, string claimName)
    {
        var podSpec = review["request"]!["object"]!["spec"]!["template"]!["spec"]!.AsObject();
        if (podSpec["volumes"] is not JsonArray volumes) podSpec["volumes"] = volumes = [];
        volumes.Add(new JsonObject
        {
            ["name"] = "data",
            ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claimName },
        });
        return review;
    }
}

/// <summary>Posts reviews and reads the answer.</summary>
public static class AdmissionClient
{
    public static async Task<(int Status, JsonObject Body)> PostAsync(this HttpClient client, string path, JsonNode review) =>
        await client.PostRawAsync(path, Fixtures.Json(review));

    public static async Task<(int Status, JsonObject Body)> PostRawAsync(this HttpClient client, string path, HttpContent content)
    {
        using var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }
}
