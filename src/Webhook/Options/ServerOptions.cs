namespace RwxGuard.Options;

/// <summary>The HTTPS listener. Flags: --port, --tls-cert-file, --tls-private-key-file (docs/tls.md).</summary>
public sealed class ServerOptions
{
    public const string Section = "Server";

    public int Port { get; set; } = 8443;
    /// <summary>PEM serving certificate (chain). Empty: a self-signed development certificate is generated.</summary>
    public string? TlsCertFile { get; set; }
    /// <summary>PEM private key for <see cref="TlsCertFile"/>.</summary>
    public string? TlsPrivateKeyFile { get; set; }
    /// <summary>Largest AdmissionReview accepted. 7 MiB, like controller-runtime: two 1.5 MiB objects plus envelope.</summary>
    public long MaxRequestBodyBytes { get; set; } = 7 * 1024 * 1024;
    /// <summary>
    /// PEM bundle of CAs for client certificates. Set: every connection must present a client certificate chaining to
    /// one of them (the API server does when its AdmissionConfiguration kubeconfig names one). Reloaded like the pair.
    /// </summary>
    public string? ClientCaFile { get; set; }
    /// <summary>Where the development CA is written when no certificate is configured (default /tmp/rwx-guard/dev-ca.crt).</summary>
    public string? DevelopmentCaFile { get; set; }
    /// <summary>How often the certificate files are re-read even without a file event (kubelet symlink swaps).</summary>
    public int CertificatePollSeconds { get; set; } = 10;
    /// <summary>How often the settings file (--config) is re-read even without a file event: a mounted ConfigMap is
    /// updated by a symlink swap that a watch on the file never sees.</summary>
    public int SettingsPollSeconds { get; set; } = 10;
    /// <summary>
    /// Plain-HTTP port that serves only /metrics (Prometheus) and the probes /healthz and /readyz. -1 turns it off (not
    /// allowed with <see cref="ClientCaFile"/>: the kubelet's probes need it); 0 picks a free port.
    /// </summary>
    public int MetricsPort { get; set; } = 9090;
    /// <summary>After SIGTERM: seconds of not-ready-but-serving before Kestrel stops accepting connections.</summary>
    public double ShutdownDelaySeconds { get; set; } = 5;
    /// <summary>After the delay: the most time in-flight requests get to finish.</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 15;
}
