using System.Diagnostics;

namespace RwxGuard.Tests.Cluster;

/// <summary>Waiting for eventual conditions: poll until true or fail with what was expected.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task UntilAsync(Func<bool> condition, string expectation, TimeSpan? timeout = null, Func<string>? state = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for: {expectation}" + (state is null ? "" : $"\n  state: {state()}"));
            await Task.Delay(15, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The same for conditions that need I/O to evaluate (an HTTP call to the server under test).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string expectation, TimeSpan? timeout = null, Func<string>? state = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for: {expectation}" + (state is null ? "" : $"\n  state: {state()}"));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
