using Microsoft.Extensions.Logging;

namespace RwxGuard.Options;

/// <summary>
/// Calls <c>check</c> when files may have changed: on any file-system event in the directories holding them (the
/// kubelet replaces a mounted Secret by renaming a new <c>..data</c> symlink over the old one, an event in the mount
/// directory, not on the file path itself), shortly after the event so that a writer's second file lands too, and
/// every poll interval regardless (a watch that cannot be set up, events that never come: NFS, another directory
/// behind a symlink), like controller-runtime's certwatcher. <c>check</c> runs on one background loop only and
/// decides itself whether anything changed.
/// </summary>
internal sealed class FileChangeMonitor : IDisposable
{
    private readonly IReadOnlyList<string> _directories;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _debounce;
    private readonly Action _check;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private int _pending;
    private Task? _loop;

    public FileChangeMonitor(IEnumerable<string> files, TimeSpan pollInterval, TimeSpan debounce, Action check, ILogger logger)
    {
        _directories = files.Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!).Distinct(StringComparer.Ordinal).ToList();
        _pollInterval = pollInterval;
        _debounce = debounce;
        _check = check;
        _logger = logger;
    }

    public IReadOnlyList<string> Directories => _directories;

    /// <summary>Starts watching; <paramref name="fileEvents"/> false leaves only the poll (tests).</summary>
    public void Start(bool fileEvents = true)
    {
        if (_loop is not null) throw new InvalidOperationException("already started");
        if (fileEvents)
            foreach (var directory in _directories)
                Watch(directory);
        _loop = Task.Run(LoopAsync);
    }

    private void Watch(string directory)
    {
        try
        {
            var watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                               | NotifyFilters.Size | NotifyFilters.CreationTime | NotifyFilters.Attributes,
            };
            watcher.Changed += (_, _) => Signal();
            watcher.Created += (_, _) => Signal();
            watcher.Deleted += (_, _) => Signal();
            watcher.Renamed += (_, _) => Signal();
            watcher.Error += (_, e) =>
            {
                // Overflow: events were lost, so look now.
                _logger.LogDebug(e.GetException(), "file watch on {Directory} reported an error", directory);
                Signal();
            };
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // inotify limits, a missing directory: the poll still notices every change, only later.
            _logger.LogWarning("cannot watch {Directory} for changes ({Error}); relying on the {Seconds} s poll",
                directory, e.Message, _pollInterval.TotalSeconds);
        }
    }

    /// <summary>Asks for a check soon (after the debounce); cheap and safe from any thread.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _pending, 1) != 0) return;
        try
        {
            _signal.Release();
        }
        catch (ObjectDisposedException)
        {
            // an event that raced with shutdown
        }
    }

    private async Task LoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (await _signal.WaitAsync(_pollInterval, token))
                    await Task.Delay(_debounce, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Interlocked.Exchange(ref _pending, 0);
            try
            {
                _check();
            }
            catch (Exception e)
            {
                // check handles its own failures; this is a last guard so that the loop never dies.
                _logger.LogWarning(e, "checking {Directories} for changes failed", string.Join(", ", _directories));
            }
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers) watcher.Dispose();
        _watchers.Clear();
        _stopping.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the loop catches everything; nothing to report on shutdown
        }
        _stopping.Dispose();
        _signal.Dispose();
    }
}
