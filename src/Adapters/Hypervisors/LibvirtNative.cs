using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Haven.Adapters.Hypervisors;

/// <summary>
/// The few libvirt.so.0 calls the libvirt adapter needs (libvirt0 9.0; the unversioned libvirt.so only
/// comes with the -dev package). libvirt keeps its last error per thread: read it with
/// <see cref="LastError"/> on the thread that made the failing call, before any await.
/// </summary>
internal static unsafe partial class LibvirtNative
{
    private const string Lib = "libvirt.so.0";

    // virDomainState
    public const int StateNoState = 0;
    public const int StateRunning = 1;
    public const int StateBlocked = 2;
    public const int StatePaused = 3;
    public const int StateShutdown = 4;
    public const int StateShutoff = 5;
    public const int StateCrashed = 6;
    public const int StatePmSuspended = 7;

    // virErrorNumber
    public const int ErrNoDomain = 42;
    public const int ErrOperationInvalid = 55;

    // virDomainMigrateFlags
    public const uint MigrateLive = 1;
    public const uint MigratePeerToPeer = 2;
    public const uint MigrateAbortOnError = 0x1000;

    /// <summary>The head of virError: code, domain, message (the rest is not read).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct VirError
    {
        public int Code;
        public int Domain;
        public nint Message;
    }

    private static int errorHandlerSet;

    /// <summary>Installs a handler that swallows libvirt's errors, so that libvirt prints nothing to stderr. Idempotent.</summary>
    public static void SilenceErrors()
    {
        if (Interlocked.Exchange(ref errorHandlerSet, 1) == 0)
        {
            virSetErrorFunc(0, &IgnoreError);
        }
    }

    /// <summary>The calling thread's last libvirt error: its code and message ("unknown error" when there is none).</summary>
    public static (int Code, string Message) LastError()
    {
        var error = (VirError*)virGetLastError();
        if (error is null)
        {
            return (0, "unknown libvirt error");
        }

        var message = error->Message == 0 ? $"libvirt error {error->Code}" : Marshal.PtrToStringUTF8(error->Message) ?? "";
        return (error->Code, message.Trim());
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void IgnoreError(nint userData, nint error)
    {
        // errors are read with virGetLastError by the caller
    }

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial ConnectionHandle virConnectOpen(string? name);

    [LibraryImport(Lib)]
    public static partial int virConnectClose(nint connection);

    [LibraryImport(Lib)]
    public static partial int virConnectIsAlive(ConnectionHandle connection);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial DomainHandle virDomainLookupByName(ConnectionHandle connection, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial DomainHandle virDomainCreateXML(ConnectionHandle connection, string xml, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainCreate(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainShutdown(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainDestroy(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainAbortJob(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainGetState(DomainHandle domain, out int state, out int reason, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainMigrateToURI3(DomainHandle domain, string destinationUri, nint parameters, uint parameterCount, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainFree(nint domain);

    [LibraryImport(Lib)]
    public static partial nint virDomainGetXMLDesc(DomainHandle domain, uint flags);

    /// <summary>libc's free, for strings libvirt hands over (virDomainGetXMLDesc).</summary>
    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(nint pointer);

    [LibraryImport(Lib)]
    private static partial nint virGetLastError();

    [LibraryImport(Lib)]
    public static partial void virResetLastError();

    [LibraryImport(Lib)]
    private static partial void virSetErrorFunc(nint userData, delegate* unmanaged[Cdecl]<nint, nint, void> handler);

    /// <summary>A virConnectPtr; closing releases this reference.</summary>
    internal sealed class ConnectionHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public ConnectionHandle()
            : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => virConnectClose(handle) >= 0;
    }

    /// <summary>A virDomainPtr; freeing releases this reference (the domain itself is untouched).</summary>
    internal sealed class DomainHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public DomainHandle()
            : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => virDomainFree(handle) == 0;
    }
}
