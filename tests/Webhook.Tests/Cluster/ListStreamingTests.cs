using System.Net;
using System.Text;
using k8s;
using RwxGuard.Cluster;
using RwxGuard.Mapping;

namespace RwxGuard.Tests.Cluster;

/// <summary>
/// A list answered in one page (an API server serving from its watch cache ignores <c>limit</c>) is decoded object by
/// object: each claim reaches the view's consumer while the rest of the response is still on its way, so the whole list
/// is never held (issue 16: an unpaged list of the realistic shape ×1 took the GC heap to 296 MB before).
/// </summary>
public sealed class ListStreamingTests
{
    private static string Claim(int i) =>
        "{\"metadata\":{\"name\":\"claim-" + i + "\",\"namespace\":\"ns\",\"uid\":\"u" + i + "\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}";

    [Fact]
    public async Task Objects_reach_the_consumer_before_the_list_response_ends()
    {
        // The serializer fills its 16 KiB buffer before it decodes: the first part is 300 claims (about 30 KB).
        var seen = new List<string>();
        var hundredSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = new HeldStream(
            Encoding.UTF8.GetBytes("""{"kind":"PersistentVolumeClaimList","metadata":{"resourceVersion":"7"},"items":[""" +
                                   string.Concat(Enumerable.Range(1, 300).Select(i => Claim(i) + ","))),
            hundredSeen.Task,
            Encoding.UTF8.GetBytes(Claim(301) + "]}"));
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }, new Answer(body));
        var claims = ResourceClients.PersistentVolumeClaims(new ApiTransport(client, TimeProvider.System));

        var page = await claims.ListAsync(500, null, claim =>
        {
            seen.Add(claim.Metadata!.Name!);
            if (seen.Count == 100) hundredSeen.TrySetResult();
        }, TestContext.Current.CancellationToken);

        Assert.False(body.TimedOut, "the first 100 claims were not handed on before the response ended: the list was held whole");
        Assert.Equal(Enumerable.Range(1, 301).Select(i => $"claim-{i}"), seen);
        Assert.Equal(new ListPage("7", null), page);
    }

    [Fact]
    public async Task A_list_with_no_consumer_is_refused_rather_than_dropped()
    {
        // The collection keeps nothing: decoding one without somewhere to put its objects would lose them in silence.
        var json = """{"metadata":{"resourceVersion":"7"},"items":[""" + Claim(1) + "]}";
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await System.Text.Json.JsonSerializer.DeserializeAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)),
                ClusterJsonContext.Default.ShapeListClaimObject, TestContext.Current.CancellationToken));
    }

    /// <summary>The first bytes, then nothing until <c>release</c> completes (or 10 s pass), then the rest.</summary>
    private sealed class HeldStream(byte[] first, Task release, byte[] rest) : Stream
    {
        private int _part;
        private int _offset;
        public bool TimedOut { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_part == 1)
            {
                TimedOut = await Task.WhenAny(release, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)) != release;
                _part = 2;
                _offset = 0;
            }
            var source = _part == 0 ? first : rest;
            if (_part == 2 && _offset == rest.Length) return 0;
            var n = Math.Min(buffer.Length, source.Length - _offset);
            source.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            if (_part == 0 && _offset == first.Length) _part = 1;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Answers every request with the held stream, as the API server's list would arrive over the network.</summary>
    private sealed class Answer(Stream body) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) });
    }
}
