using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace RwxGuard.Benchmarks;

/// <summary>
/// The yardstick: bare Kestrel on the same TLS certificate that parses the body as JSON and returns a fixed
/// AdmissionReview. The webhook's throughput is reported as a ratio of this one's, measured in the same run.
/// </summary>
public static class BaselineServer
{
    private static readonly byte[] Fixed =
        """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"00000000-0000-0000-0000-000000000000","allowed":true}}"""u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(Arg(args, "--port"));
        var certificate = X509Certificate2.CreateFromPemFile(Arg(args, "--tls-cert-file"), Arg(args, "--tls-private-key-file"));
        var context = SslStreamCertificateContext.Create(certificate, null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ListenAnyIP(port, l => l.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = context,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }),
            }));
        });
        var app = builder.Build();
        app.MapPost("/validate", async (HttpContext http) =>
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body);
            http.Response.ContentType = "application/json";
            http.Response.ContentLength = Fixed.Length;
            await http.Response.Body.WriteAsync(Fixed);
        });
        await app.RunAsync();
        return 0;
    }

    private static string Arg(string[] args, string name) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
}
