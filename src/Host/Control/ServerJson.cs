using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Haven.Host.Control;

/// <summary>The daemon's side of <see cref="ControlJson"/>: the same shape, and reflection for the views it answers with.</summary>
internal static class ServerJson
{
    public static readonly JsonSerializerOptions Options = new(ControlJson.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ControlJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}
