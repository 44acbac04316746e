using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace RwxGuard.Tests.Infrastructure;

/// <summary>
/// The measurements of one counter instance, with their tags. Every host in the test process creates a meter of the
/// same name, so a listener on the name would also hear other tests' servers: this one follows exactly one instrument.
/// </summary>
public sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public CounterRecorder(Counter<long> counter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, counter)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            Measurements.Enqueue((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString()))));
        _listener.Start();
    }

    public ConcurrentQueue<(long Value, Dictionary<string, string?> Tags)> Measurements { get; } = new();

    /// <summary>The sum of the measurements whose tags include all of <paramref name="tags"/>.</summary>
    public long Sum(params (string Key, string Value)[] tags) =>
        Measurements.Where(m => tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
