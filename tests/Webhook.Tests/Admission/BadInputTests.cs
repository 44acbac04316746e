using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Admission;

/// <summary>Bad bodies through the real HTTPS server: always a defined status and an AdmissionReview, never a crash.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private RunningWebhook _webhook = null!;

    public async ValueTask InitializeAsync() => _webhook = await RunningWebhook.StartAsync(
        settings: new Dictionary<string, string?> { ["Server:MaxRequestBodyBytes"] = (256 * 1024).ToString() });

    public async ValueTask DisposeAsync() => await _webhook.DisposeAsync();

    private const string Uid = "0d7c5d1b-7c51-4d23-9f5e-1a2b3c4d5e6f";

    public static TheoryData<string, string, int, string?, string> Bodies => new()
    {
        // name, body, HTTP status, uid echoed, message fragment
        { "empty body", "", 400, "", "empty request body" },
        { "not json", "hello", 400, "", "malformed AdmissionReview" },
        { "truncated after uid", $$$"""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"{{{Uid}}}","kind":{""", 400, Uid, "malformed" },
        { "json null", "null", 400, "", "JSON null" },
        { "array", "[]", 400, "", "malformed" },
        { "wrong kind", $$$"""{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"{{{Uid}}}"}}""", 400, Uid, "expected 'AdmissionReview'" },
        { "wrong apiVersion", $$$"""{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"{{{Uid}}}"}}""", 400, Uid, "not supported" },
        { "no request", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", 400, "", "has no request" },
        { "no uid", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", 400, "", "uid is missing" },
        { "bad operation", $$$$"""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"{{{{Uid}}}}","operation":"PATCH","kind":{"kind":"X"},"resource":{"resource":"x"}}}""", 400, Uid, "operation 'PATCH'" },
        { "trailing garbage", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"} {}""", 400, "", "malformed" },
        { "deep nesting", "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"" + Uid + "\",\"x\":" + string.Concat(Enumerable.Repeat("[", 5000)) + string.Concat(Enumerable.Repeat("]", 5000)) + "}}", 400, Uid, "depth" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Malformed_bodies_get_an_error_review(string name, string body, int status, string? uid, string fragment)
    {
        var (code, review) = await _webhook.Client.PostRawAsync("/validate", Fixtures.Json(body));
        Assert.Equal(status, code);
        var response = review["response"]!;
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Equal(uid, response["uid"]!.GetValue<string>());
        Assert.Equal(status, response["status"]!["code"]!.GetValue<int>());
        Assert.Contains(fragment, response["status"]!["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        _ = name;
    }

    [Fact]
    public async Task Invalid_utf8_is_a_bad_request_with_the_uid()
    {
        var bytes = Encoding.UTF8.GetBytes($$$"""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"{{{Uid}}}","name":"X"}}""").ToList();
        var at = bytes.IndexOf((byte)'X');
        bytes[at] = 0xC3; // a lead byte with no continuation
        var content = new ByteArrayContent(bytes.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var (code, review) = await _webhook.Client.PostRawAsync("/validate", content);
        Assert.Equal(400, code);
        Assert.Equal(Uid, review["response"]!["uid"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/yaml")]
    [InlineData(null)]
    public async Task Wrong_content_type_is_415(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Fixtures.Review("kwctl-pod-create-v1.json").ToJsonString()));
        if (contentType is not null) content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var (code, review) = await _webhook.Client.PostRawAsync("/validate", content);
        Assert.Equal(415, code);
        Assert.Equal(415, review["response"]!["status"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Json_with_charset_parameter_is_accepted()
    {
        var content = new StringContent(Fixtures.Review("kwctl-pod-create-v1.json").ToJsonString(), Encoding.UTF8, "application/json");
        content.Headers.ContentType!.CharSet = "utf-8";
        var (code, review) = await _webhook.Client.PostRawAsync("/validate", content);
        Assert.Equal(200, code);
        Assert.True(review["response"]!["allowed"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Oversized_body_is_413_with_or_without_content_length(bool withLength)
    {
        var review = Fixtures.Review("kwctl-pod-create-v1.json");
        review["request"]!["object"]!["metadata"]!["annotations"] = new JsonObject { ["big"] = new string('x', 300 * 1024) };
        var bytes = Encoding.UTF8.GetBytes(review.ToJsonString());
        HttpContent content = withLength ? new ByteArrayContent(bytes) : new StreamContent(new NonSeekableStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var (code, body) = await _webhook.Client.PostRawAsync("/validate", content);
        Assert.Equal(413, code);
        Assert.Contains("exceeds the limit", body["response"]!["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Mismatched_hybrid_capture_gets_a_400_decision_echoing_its_uid()
    {
        var body = Fixtures.Read(Path.Combine("admission", "robustness", "datree-scale-header-with-pod-object-HYBRID.json"));
        var (code, review) = await _webhook.Client.PostRawAsync("/validate", Fixtures.Json(body));
        Assert.Equal(200, code);
        var response = review["response"]!;
        Assert.Equal("705ab4f5-6393-11e8-b7cc-42010a800002", response["uid"]!.GetValue<string>());
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Equal(400, response["status"]!["code"]!.GetValue<int>());
        Assert.Contains("is a Pod", response["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replicas_out_of_range_and_wrong_types_are_400_decisions_not_crashes()
    {
        foreach (var replicas in new JsonNode[] { JsonValue.Create(1e20), JsonValue.Create("three"), new JsonObject() })
        {
            var review = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "c");
            review["request"]!["object"]!["spec"]!["replicas"] = replicas.DeepClone();
            var (code, body) = await _webhook.Client.PostAsync("/validate", review);
            Assert.Equal(200, code);
            Assert.Equal(400, body["response"]!["status"]!["code"]!.GetValue<int>());
            Assert.Contains("not a valid Deployment", body["response"]!["status"]!["message"]!.GetValue<string>());
        }
        // The server is still answering after all of that.
        var (ok, _) = await _webhook.Client.PostAsync("/validate", Fixtures.Review("kwctl-pod-create-v1.json"));
        Assert.Equal(200, ok);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        var review = Fixtures.Review("whorf-deployment-create-replicas1-v1.json");
        review["surprise"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) };
        review["request"]!["futureField"] = "x";
        var (code, body) = await _webhook.Client.PostAsync("/validate", review);
        Assert.Equal(200, code);
        Assert.True(body["response"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Missing_object_on_create_is_a_400_decision()
    {
        var review = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
        review["request"]!["object"] = null;
        var (_, body) = await _webhook.Client.PostAsync("/validate", review);
        Assert.Equal(400, body["response"]!["status"]!["code"]!.GetValue<int>());
        Assert.Contains("request.object is required", body["response"]!["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_on_the_admission_path_is_not_allowed()
    {
        using var response = await _webhook.Client.GetAsync("/validate", TestContext.Current.CancellationToken);
        Assert.Equal(405, (int)response.StatusCode);
    }

    /// <summary>Forces chunked transfer encoding: no Content-Length for the server to check up front.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
