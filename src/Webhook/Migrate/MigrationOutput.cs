using System.Globalization;
using System.Text.RegularExpressions;

namespace RwxGuard.Migrate;

/// <summary>One PROGRESS line of the copy script.</summary>
public sealed partial record CopyProgress(long Files, long TotalFiles, long Bytes, long TotalBytes)
{
    public double Fraction => TotalBytes > 0 ? Math.Min(1, (double)Bytes / TotalBytes) : TotalFiles > 0 ? Math.Min(1, (double)Files / TotalFiles) : 1;

    public static CopyProgress? Parse(string line)
    {
        var m = Pattern().Match(line);
        if (!m.Success) return null;
        long L(int i) => long.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        return new CopyProgress(L(1), L(2), L(3), L(4));
    }

    public override string ToString() =>
        $"{Files}/{TotalFiles} files, {Size(Bytes)}/{Size(TotalBytes)} ({Fraction:P0})";

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.0} KiB",
        _ => $"{bytes} B",
    };

    [GeneratedRegex(@"PROGRESS files=(\d+)/(\d+) bytes=(\d+)/(\d+)")]
    private static partial Regex Pattern();
}

/// <summary>Where a migration reports what it does. The console implementation draws a progress bar on a terminal
/// and plain lines otherwise; tests collect the calls.</summary>
public interface IMigrationOutput
{
    /// <summary>A step is done (or was already done: <paramref name="detail"/> says which).</summary>
    void StepDone(string step, string detail);

    void Info(string message);

    void Warn(string message);

    /// <summary>Runs the copy wait with a progress display fed by the callback.</summary>
    Task<T> WithProgressAsync<T>(string title, Func<Action<CopyProgress>, Action<string>, Task<T>> work);
}
