namespace RwxGuard.Cluster;

/// <summary>
/// Exponential backoff with jitter: attempt n waits a random time in [d/2, d] with d = initial × 2ⁿ capped at max.
/// A server's Retry-After wins when it asks for longer (bounded by <see cref="MaxRetryAfter"/>).
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
{
    /// <summary>A Retry-After longer than this is treated as this (a misbehaving proxy must not park the cache).</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;
    private int _attempt;

    public int Attempt => _attempt;

    public TimeSpan Next(TimeSpan? retryAfter = null)
    {
        var ceiling = Math.Min(initial.TotalSeconds * Math.Pow(2, Math.Min(_attempt, 30)), max.TotalSeconds);
        _attempt++;
        var delay = TimeSpan.FromSeconds(ceiling * (0.5 + 0.5 * Math.Clamp(_random(), 0, 1)));
        if (retryAfter is { } asked && asked > delay) delay = asked < MaxRetryAfter ? asked : MaxRetryAfter;
        return delay;
    }

    public void Reset() => _attempt = 0;
}
