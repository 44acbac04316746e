using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RwxGuard.Options;

namespace RwxGuard.Tls;

/// <summary>
/// The serving certificate (and, when Server:ClientCaFile is set, the client CA bundle), loaded from PEM files and
/// reloaded when they change. Each load builds one <see cref="SslStreamCertificateContext"/> (leaf + intermediates,
/// offline) and swaps it in with a single reference write: every new handshake takes the newest, handshakes and
/// connections already under way keep theirs. A reload that fails keeps the previous certificate and logs a warning.
/// </summary>
public sealed class ServingCertificateStore : IServingCertificate, IDisposable
{
    public const string DevelopmentSource = "self-signed development certificate";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(100);

    private readonly string? _certFile;
    private readonly string? _keyFile;
    private readonly string? _clientCaFile;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly DevelopmentCertificate? _development;
    private readonly int _port;
    private readonly Lock _reloadLock = new();
    private volatile State? _state;
    private byte[]? _lastFailedHash;
    private string? _lastFailure;
    private long _loadCount;
    private long _failedLoadCount;
    private ILogger _logger = NullLogger.Instance;
    private FileChangeMonitor? _monitor;

    private sealed record State(
        SslStreamCertificateContext Context,
        ServingCertificateInfo Info,
        X509Certificate2Collection? ClientCas,
        byte[] ContentHash);

    private ServingCertificateStore(ServerOptions server, DevelopmentCertificate? development, TimeProvider time)
    {
        _certFile = development is null ? server.TlsCertFile : null;
        _keyFile = development is null ? server.TlsPrivateKeyFile : null;
        _clientCaFile = string.IsNullOrEmpty(server.ClientCaFile) ? null : server.ClientCaFile;
        _pollInterval = TimeSpan.FromSeconds(server.CertificatePollSeconds);
        _development = development;
        _port = server.Port;
        _time = time;
        Source = development is not null ? DevelopmentSource : $"{_certFile} + {_keyFile}";
    }

    /// <summary>
    /// Loads the configured pair (or mints the development certificate when none is configured). A pair that cannot
    /// be loaded stops the start: <see cref="SettingsException"/> naming the setting.
    /// </summary>
    public static ServingCertificateStore Create(ServerOptions server, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var development = string.IsNullOrEmpty(server.TlsCertFile)
            ? DevelopmentCertificate.Create(server.DevelopmentCaFile, time)
            : null;
        var store = new ServingCertificateStore(server, development, time);
        var (state, failure) = store.TryLoad();
        if (state is null)
            throw new SettingsException([failure!]);
        store._state = state;
        store._loadCount = 1;
        return store;
    }

    public SslStreamCertificateContext? Current => _state?.Context;
    public bool IsLoaded => _state is not null;
    public DateTimeOffset? NotAfter => _state?.Info.NotAfter;
    public string Source { get; }
    public long LoadCount => Interlocked.Read(ref _loadCount);
    public long FailedLoadCount => Interlocked.Read(ref _failedLoadCount);
    public event EventHandler<ServingCertificateLoadedEventArgs>? Loaded;

    /// <summary>The served leaf and its logged details.</summary>
    public ServingCertificateInfo? Certificate => _state?.Info;
    /// <summary>The development CA when serving the development certificate, else null.</summary>
    public DevelopmentCertificate? Development => _development;
    /// <summary>Whether every connection must present a client certificate chaining to Server:ClientCaFile.</summary>
    public bool RequiresClientCertificate => _clientCaFile is not null;
    /// <summary>The accepted client CAs (Server:ClientCaFile as last loaded), or null.</summary>
    public X509Certificate2Collection? ClientCertificateAuthorities => _state?.ClientCas;
    /// <summary>The files watched for changes.</summary>
    public IReadOnlyList<string> Files => new[] { _certFile, _keyFile, _clientCaFile }.OfType<string>().ToList();

    /// <summary>Logs the loaded certificate and starts watching the files.</summary>
    /// <param name="fileEvents">false: poll only (tests of the poll path).</param>
    public void Start(ILogger logger, bool fileEvents = true)
    {
        _logger = logger;
        if (_development is not null) LogDevelopment(_development);
        LogLoaded(_state!, reloaded: false);
        if (Files.Count == 0 || _monitor is not null) return;
        _monitor = new FileChangeMonitor(Files, _pollInterval, Debounce, () => Reload(), logger);
        _monitor.Start(fileEvents);
    }

    /// <summary>Stops watching; the current certificate stays in place.</summary>
    public void Stop()
    {
        _monitor?.Dispose();
        _monitor = null;
    }

    public void Dispose() => Stop();

    /// <summary>
    /// Reads the files and swaps in a new context if their content changed and loads. Returns true when a new
    /// certificate is now served. Never throws for bad files: a failure keeps the previous one and is logged once per
    /// distinct file content.
    /// </summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            var previous = _state;
            var (state, failure, hash) = TryLoadChanged(previous);
            if (state is null && failure is null) return false; // unchanged, or the same bad content as last time
            if (state is null)
            {
                Interlocked.Increment(ref _failedLoadCount);
                _lastFailedHash = hash;
                // A file that stays unreadable would otherwise repeat the same warning every poll.
                var level = failure == _lastFailure ? LogLevel.Debug : LogLevel.Warning;
                _lastFailure = failure;
                _logger.Log(level,
                    "serving certificate reload failed, still serving {Fingerprint} (not after {NotAfter:o}): {Error}",
                    previous?.Info.Sha256Fingerprint, previous?.Info.NotAfter, failure);
                return false;
            }
            _state = state;
            _lastFailedHash = null;
            _lastFailure = null;
            Interlocked.Increment(ref _loadCount);
            LogLoaded(state, reloaded: true);
            Loaded?.Invoke(this, new ServingCertificateLoadedEventArgs(state.Info));
            return true;
        }
    }

    /// <summary>
    /// RemoteCertificateValidationCallback for client certificates: the presented chain must lead to a certificate in
    /// Server:ClientCaFile (custom root trust, no system roots, no downloads), and the leaf, if it has an extended key
    /// usage, must allow clientAuth.
    /// </summary>
    public bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        var cas = _state?.ClientCas;
        if (cas is null) return true; // not asked for
        if (certificate is null)
        {
            _logger.LogInformation("TLS client rejected: no client certificate presented (Server:ClientCaFile is set)");
            return false;
        }
        var leaf = certificate as X509Certificate2;
        var owned = leaf is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        leaf ??= owned!;
        try
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(cas);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
            if (presented is not null)
            {
                chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
                foreach (var element in presented.ChainElements.Skip(1))
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
            if (chain.Build(leaf)) return true;
            _logger.LogInformation("TLS client rejected: certificate {Subject} issued by {Issuer} does not chain to Server:ClientCaFile: {Status}",
                leaf.Subject, leaf.Issuer,
                string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct()));
            return false;
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private (State? State, string? Failure) TryLoad()
    {
        var (state, failure, _) = TryLoadChanged(null);
        return (state, failure);
    }

    /// <summary>null state and null failure: nothing to do (unchanged content, or content that already failed).</summary>
    private (State? State, string? Failure, byte[]? Hash) TryLoadChanged(State? previous)
    {
        string? certPem = null, keyPem = null, caPem = null;
        try
        {
            if (_certFile is not null) certPem = File.ReadAllText(_certFile);
            if (_keyFile is not null) keyPem = File.ReadAllText(_keyFile);
            if (_clientCaFile is not null) caPem = File.ReadAllText(_clientCaFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Between a writer's delete and create, or an old ..data directory already gone: retried at the next poll.
            return (null, $"{SettingFor(e)}: cannot read: {e.Message}", null);
        }

        var hash = Hash(certPem, keyPem, caPem);
        if (previous is not null && hash.AsSpan().SequenceEqual(previous.ContentHash)) return (null, null, hash);
        if (_lastFailedHash is not null && hash.AsSpan().SequenceEqual(_lastFailedHash)) return (null, null, hash);

        X509Certificate2 leaf;
        X509Certificate2Collection intermediates;
        if (_development is not null)
        {
            leaf = _development.Leaf;
            intermediates = [];
        }
        else
        {
            try
            {
                (leaf, intermediates) = ParsePair(certPem!, keyPem!);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                return (null, $"Server:TlsCertFile: cannot load '{_certFile}' with Server:TlsPrivateKeyFile '{_keyFile}': {e.Message}", hash);
            }
        }

        X509Certificate2Collection? clientCas = null;
        if (caPem is not null)
        {
            clientCas = [];
            try
            {
                clientCas.ImportFromPem(caPem);
            }
            catch (CryptographicException e)
            {
                return (null, $"Server:ClientCaFile: cannot load '{_clientCaFile}': {e.Message}", hash);
            }
            if (clientCas.Count == 0)
                return (null, $"Server:ClientCaFile: '{_clientCaFile}' holds no PEM CERTIFICATE block", hash);
        }

        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true,
            trust: clientCas is null || OperatingSystem.IsWindows()
                ? null
                // sendTrustInHandshake: the CA names go into the CertificateRequest; Go clients (the API server)
                // choose the client certificate whose issuer is in that list.
                : SslCertificateTrust.CreateForX509Collection(clientCas, sendTrustInHandshake: true));
        var info = ServingCertificateInfo.For(leaf, intermediates.Count, _time.GetUtcNow());
        return (new State(context, info, clientCas, hash), null, hash);
    }

    /// <summary>Leaf + key from the first CERTIFICATE block and the key file; the following blocks are intermediates.</summary>
    internal static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) ParsePair(string certPem, string keyPem)
    {
        var leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral key: round-trip through PKCS#12.
            using var ephemeral = leaf;
            leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        var all = new X509Certificate2Collection();
        all.ImportFromPem(certPem);
        var intermediates = new X509Certificate2Collection();
        foreach (var cert in all.Skip(1))
            intermediates.Add(cert);
        return (leaf, intermediates);
    }

    private string SettingFor(Exception e) =>
        _clientCaFile is not null && e.Message.Contains(_clientCaFile, StringComparison.Ordinal) ? "Server:ClientCaFile"
        : _keyFile is not null && e.Message.Contains(_keyFile, StringComparison.Ordinal) ? "Server:TlsPrivateKeyFile"
        : "Server:TlsCertFile";

    private static byte[] Hash(params string?[] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part ?? "");
            sha.AppendData(BitConverter.GetBytes(part is null ? -1 : bytes.Length));
            sha.AppendData(bytes);
        }
        return sha.GetHashAndReset();
    }

    private void LogLoaded(State state, bool reloaded)
    {
        var info = state.Info;
        _logger.LogInformation(
            "serving certificate {Action} from {Source}: subject {Subject}, SANs {SubjectAlternativeNames}, issuer {Issuer}, "
            + "not after {NotAfter:o}, SHA-256 {Fingerprint}, {IntermediateCount} intermediate(s){ClientCas}",
            reloaded ? "reloaded" : "loaded", Source, info.Subject, info.SubjectAlternativeNames, info.Issuer,
            info.NotAfter, info.Sha256Fingerprint, info.IntermediateCount,
            state.ClientCas is null ? "" : $"; client certificates required, {state.ClientCas.Count} CA(s) from {_clientCaFile}");

        var now = _time.GetUtcNow();
        if (info.NotAfter <= now)
            _logger.LogWarning("serving certificate {Fingerprint} expired at {NotAfter:o}: clients will reject it",
                info.Sha256Fingerprint, info.NotAfter);
        else if (info.NotBefore > now)
            _logger.LogWarning("serving certificate {Fingerprint} is not valid before {NotBefore:o}: clients will reject it",
                info.Sha256Fingerprint, info.NotBefore);
        if (info.DnsNames.Count == 0 && info.IpAddresses.Count == 0)
            _logger.LogWarning(
                "serving certificate {Fingerprint} has no subjectAltName: the API server (Go) ignores the CN and will fail with "
                + "'x509: certificate relies on legacy Common Name field'", info.Sha256Fingerprint);
    }

    private void LogDevelopment(DevelopmentCertificate development)
    {
        var port = _port;
        if (development.CaFileError is null)
        {
            _logger.LogWarning(
                "no --tls-cert-file given: serving a self-signed development certificate; CA at {CaFile} — curl --cacert {CaFile} https://localhost:{Port}/healthz",
                development.CaFile, development.CaFile, port);
        }
        else
        {
            _logger.LogWarning(
                "no --tls-cert-file given: serving a self-signed development certificate; could not write its CA to {CaFile} ({Error}), here it is:{NewLine}{CaPem}",
                development.CaFile, development.CaFileError, Environment.NewLine, development.CaPem);
        }
    }
}
