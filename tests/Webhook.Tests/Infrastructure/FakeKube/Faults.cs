namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>
/// A request the fake answers with an error instead of (or after) doing it. Null fields match anything. With
/// <see cref="AfterApply"/> the write happens and only the answer is lost: the client sees an error for a change that
/// was made, the case an idempotent client must survive.
/// </summary>
public sealed record Fault
{
    /// <summary>get, list, watch, create, update, patch, delete.</summary>
    public string? Verb { get; init; }
    public ResourceType? Resource { get; init; }
    public string? Name { get; init; }
    /// <summary>"scale", "status", "log"; null matches requests with or without one.</summary>
    public string? Subresource { get; init; }
    public int Status { get; init; } = 500;
    public string Message { get; init; } = "injected fault";
    public bool AfterApply { get; init; }
    /// <summary>How many matching requests fail; then the fault is spent.</summary>
    public int Times { get; init; } = 1;
    /// <summary>Extra condition on the request (e.g. the body of a PATCH).</summary>
    public Func<FakeRequest, bool>? When { get; init; }
}

/// <summary>What a fault or an access rule sees of a request.</summary>
public sealed record FakeRequest(string Verb, ResourceType Resource, string Namespace, string? Name, string? Subresource, string Body);

/// <summary>The faults to inject, each spent after <see cref="Fault.Times"/> matches.</summary>
public sealed class Faults
{
    private readonly List<(Fault Fault, int[] Left)> _faults = [];
    private int _fired;

    public int Fired => Volatile.Read(ref _fired);

    public void Add(Fault fault)
    {
        lock (_faults) _faults.Add((fault, [fault.Times]));
    }

    public void Clear()
    {
        lock (_faults) _faults.Clear();
    }

    internal Fault? Take(FakeRequest request)
    {
        lock (_faults)
        {
            foreach (var (fault, left) in _faults)
            {
                if (left[0] <= 0) continue;
                if (fault.Verb is not null && fault.Verb != request.Verb) continue;
                if (fault.Resource is not null && fault.Resource != request.Resource) continue;
                if (fault.Name is not null && fault.Name != request.Name) continue;
                if (fault.Subresource is not null && fault.Subresource != request.Subresource) continue;
                if (fault.When is not null && !fault.When(request)) continue;
                left[0]--;
                Interlocked.Increment(ref _fired);
                return fault;
            }
            return null;
        }
    }
}
