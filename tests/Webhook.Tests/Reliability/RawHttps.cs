using System.Diagnostics;
using System.Net.Security;
using System.Text;
using RwxGuard.Tests.Tls;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// HTTP/1.1 written by hand over a real TLS connection, for what HttpClient will not do: declare a body it never sends,
/// trickle bytes, keep writing after the server has answered.
/// </summary>
public sealed class RawHttps : IAsyncDisposable
{
    private readonly SslStream _ssl;

    private RawHttps(SslStream ssl) => _ssl = ssl;

    public static async Task<RawHttps> ConnectAsync(int port, CancellationToken cancellationToken) =>
        new(await TlsProbe.ConnectAsync(port, new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }, cancellationToken));

    public static string Head(string path, long? contentLength, bool chunked = false, string contentType = "application/json") =>
        $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {contentType}\r\n" +
        (contentLength is { } length ? $"Content-Length: {length}\r\n" : "") +
        (chunked ? "Transfer-Encoding: chunked\r\n" : "") + "\r\n";

    public async Task WriteAsync(string text, CancellationToken cancellationToken) =>
        await WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _ssl.WriteAsync(bytes, cancellationToken);
        await _ssl.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> one piece every <paramref name="interval"/> until the server closes the
    /// connection or answers, or <paramref name="limit"/> passes. Returns the elapsed time and whether writing failed.
    /// </summary>
    public async Task<(TimeSpan Elapsed, bool WriteFailed)> TrickleAsync(byte[] bytes, int pieceSize, TimeSpan interval,
        TimeSpan limit, Task serverDone, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var at = 0; at < bytes.Length && clock.Elapsed < limit && !serverDone.IsCompleted; at += pieceSize)
        {
            try
            {
                await WriteAsync(bytes.AsMemory(at, Math.Min(pieceSize, bytes.Length - at)), cancellationToken);
            }
            catch (IOException)
            {
                return (clock.Elapsed, true);
            }
            await Task.WhenAny(Task.Delay(interval, cancellationToken), serverDone);
        }
        return (clock.Elapsed, false);
    }

    /// <summary>Reads until the server closes the connection (or <paramref name="timeout"/>); returns all bytes as text.</summary>
    public async Task<(string Text, bool Closed)> ReadToEndAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await _ssl.ReadAsync(buffer, limit.Token);
                if (n == 0) return (Encoding.UTF8.GetString(received.ToArray()), true);
                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (Encoding.UTF8.GetString(received.ToArray()), false);
        }
        catch (IOException)
        {
            return (Encoding.UTF8.GetString(received.ToArray()), true); // reset by the server: closed too
        }
    }

    /// <summary>Reads one response whose body has a Content-Length (what the webhook always sends).</summary>
    public async Task<(int Status, string Body)> ReadResponseAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var text = Encoding.UTF8.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var head = text[..end];
                var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                var bodyStart = Encoding.UTF8.GetByteCount(text[..(end + 4)]);
                if (received.Count - bodyStart >= length)
                    return (status, Encoding.UTF8.GetString(received.ToArray(), bodyStart, length));
            }
            var n = await _ssl.ReadAsync(buffer, limit.Token);
            if (n == 0) throw new IOException($"connection closed after {received.Count} bytes: {text}");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    public async ValueTask DisposeAsync() => await _ssl.DisposeAsync();
}
