using System.Runtime.InteropServices;

namespace RwxGuard.Platform;

/// <summary>What a path is, as <c>lstat</c>/<c>stat</c> see it.</summary>
internal enum UnixFileType
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <param name="OwnerId">The owner's uid, or -1 where the platform does not say.</param>
/// <param name="Device">With <paramref name="Inode"/>, the identity of the file (0 and 0 where the platform does not say).</param>
internal readonly record struct UnixFileStatus(UnixFileType Type, long OwnerId, ulong Device, ulong Inode);

/// <summary>
/// The few file facts .NET does not expose: the type of a file (a FIFO or a device is not a regular file, and opening
/// a FIFO blocks), its owner and identity, and the real path behind symbolic links. On Linux from <c>statx</c>
/// (one struct layout on every architecture) and <c>realpath</c>; elsewhere from what <see cref="FileSystemInfo"/>
/// knows (links and directories; everything else counts as regular).
/// </summary>
internal static partial class UnixFiles
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8, StatxIno = 0x100;
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20;

    /// <summary>The status of <paramref name="path"/>, or of the link itself when <paramref name="followLinks"/> is false.</summary>
    /// <exception cref="FileNotFoundException">Nothing is there (or a link's target is missing).</exception>
    /// <exception cref="IOException">Any other failure, such as a loop of links.</exception>
    public static UnixFileStatus Status(string path, bool followLinks)
    {
        if (!OperatingSystem.IsLinux()) return ManagedStatus(path, followLinks);

        Span<byte> buffer = stackalloc byte[256]; // struct statx: 256 bytes, native byte order
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType | StatxMode | StatxUid | StatxIno, buffer) != 0)
            throw Error(path, Marshal.GetLastPInvokeError());
        var mode = MemoryMarshal.Read<ushort>(buffer[28..]); // stx_mode
        var type = (mode & 0xF000) switch
        {
            0x8000 => UnixFileType.Regular,
            0x4000 => UnixFileType.Directory,
            0xA000 => UnixFileType.SymbolicLink,
            0x1000 => UnixFileType.Fifo,
            0x2000 => UnixFileType.CharacterDevice,
            0x6000 => UnixFileType.BlockDevice,
            0xC000 => UnixFileType.Socket,
            _ => UnixFileType.Other,
        };
        var uid = MemoryMarshal.Read<uint>(buffer[20..]); // stx_uid
        var inode = MemoryMarshal.Read<ulong>(buffer[32..]); // stx_ino
        var device = ((ulong)MemoryMarshal.Read<uint>(buffer[136..]) << 32) // stx_dev_major, stx_dev_minor
                     | MemoryMarshal.Read<uint>(buffer[140..]);
        return new UnixFileStatus(type, uid, device, inode);
    }

    /// <summary>The absolute path with every symbolic link resolved (<c>realpath(3)</c>).</summary>
    /// <exception cref="FileNotFoundException">A component or a link's target is missing.</exception>
    /// <exception cref="IOException">Any other failure, such as a loop of links.</exception>
    public static string RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            var full = Path.GetFullPath(path);
            var info = new FileInfo(full);
            if (!info.Exists && !Directory.Exists(full)) throw new FileNotFoundException("no such file or directory", path);
            return info.LinkTarget is null ? full : info.ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        }
        var resolved = Realpath(path, 0);
        if (resolved == 0) throw Error(path, Marshal.GetLastPInvokeError());
        try
        {
            return Marshal.PtrToStringUTF8(resolved)!;
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>This process's effective uid, or -1 on Windows.</summary>
    public static long EffectiveUserId => OperatingSystem.IsWindows() ? -1 : Geteuid();

    private static UnixFileStatus ManagedStatus(string path, bool followLinks)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            if (!followLinks) return new UnixFileStatus(UnixFileType.SymbolicLink, -1, 0, 0);
            info = info.ResolveLinkTarget(returnFinalTarget: true)!;
        }
        if (!info.Exists) throw new FileNotFoundException("no such file or directory", path);
        return new UnixFileStatus(info is DirectoryInfo ? UnixFileType.Directory : UnixFileType.Regular, -1, 0, 0);
    }

    /// <summary>The error as the C library words it; the caller names the path.</summary>
    private static Exception Error(string path, int errno) => errno switch
    {
        ENOENT or ENOTDIR => new FileNotFoundException("no such file or directory", path),
        EACCES => new UnauthorizedAccessException(Marshal.GetPInvokeErrorMessage(errno)),
        _ => new IOException(Marshal.GetPInvokeErrorMessage(errno), errno),
    };

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint Realpath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();
}
