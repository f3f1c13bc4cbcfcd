namespace Haven.Adapters.Corosync;

/// <summary>corosync's cs_error_t values the transport meets, with their names for messages.</summary>
internal static class CorosyncErrors
{
    public const int Ok = 1;
    public const int Library = 2;
    public const int TryAgain = 6;
    public const int InvalidParam = 7;
    public const int BadHandle = 9;
    public const int NotExist = 12;
    public const int Exist = 14;
    public const int TooBig = 26;

    public static string Name(int code) => code switch
    {
        1 => "CS_OK",
        2 => "CS_ERR_LIBRARY",
        3 => "CS_ERR_VERSION",
        4 => "CS_ERR_INIT",
        5 => "CS_ERR_TIMEOUT",
        6 => "CS_ERR_TRY_AGAIN",
        7 => "CS_ERR_INVALID_PARAM",
        8 => "CS_ERR_NO_MEMORY",
        9 => "CS_ERR_BAD_HANDLE",
        10 => "CS_ERR_BUSY",
        11 => "CS_ERR_ACCESS",
        12 => "CS_ERR_NOT_EXIST",
        13 => "CS_ERR_NAME_TOO_LONG",
        14 => "CS_ERR_EXIST",
        15 => "CS_ERR_NO_SPACE",
        16 => "CS_ERR_INTERRUPT",
        17 => "CS_ERR_NAME_NOT_FOUND",
        18 => "CS_ERR_NO_RESOURCES",
        19 => "CS_ERR_NOT_SUPPORTED",
        20 => "CS_ERR_BAD_OPERATION",
        21 => "CS_ERR_FAILED_OPERATION",
        22 => "CS_ERR_MESSAGE_ERROR",
        23 => "CS_ERR_QUEUE_FULL",
        24 => "CS_ERR_QUEUE_NOT_AVAILABLE",
        25 => "CS_ERR_BAD_FLAGS",
        26 => "CS_ERR_TOO_BIG",
        27 => "CS_ERR_NO_SECTIONS",
        28 => "CS_ERR_CONTEXT_NOT_FOUND",
        30 => "CS_ERR_TOO_MANY_GROUPS",
        100 => "CS_ERR_SECURITY",
        _ => $"cs_error {code}",
    };

    /// <summary>The message for a failed call: which call, the error, and for CS_ERR_LIBRARY the likely cause.</summary>
    public static string Describe(string call, int code) => code == Library
        ? $"cannot reach corosync (CS_ERR_LIBRARY): is corosync running? ({call})"
        : $"{call} failed: {Name(code)}";
}

/// <summary>A corosync library call failed.</summary>
public sealed class CorosyncException(string message, int code) : Exception(message)
{
    public int Code { get; } = code;
}
