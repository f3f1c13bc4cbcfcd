using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Haven.Host.Control;

/// <summary>
/// One JSON shape for the control API and for every `--json` output: camelCase, no nulls dropped. The client's
/// types are resolved by the generated <see cref="ControlJsonContext"/> (no reflection: the client is compiled
/// ahead of time); the daemon adds reflection for its views (ServerJson).
/// </summary>
internal static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
        TypeInfoResolver = ControlJsonContext.Default,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    /// <summary>One line of JSON.</summary>
    public static string Line<T>(T value) => JsonSerializer.Serialize(value, TypeOf<T>(Options));

    /// <summary>Indented JSON, as every `--json` table prints it.</summary>
    public static string Pretty<T>(T value) => JsonSerializer.Serialize(value, TypeOf<T>(Indented));

    public static JsonTypeInfo<T> TypeOf<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}

[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(EmptyRequest))]
[JsonSerializable(typeof(NodeRequest))]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(FenceRequest))]
[JsonSerializable(typeof(FenceConfirmRequest))]
[JsonSerializable(typeof(SetRequest))]
[JsonSerializable(typeof(HaRequest))]
[JsonSerializable(typeof(RemoveRequest))]
[JsonSerializable(typeof(AddVmRequest))]
[JsonSerializable(typeof(DigestView))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
