using System.Text.Json;
using System.Text.Json.Serialization;

namespace Haven.Host.Control;

/// <summary>One JSON shape for the control API and for every `--json` output: camelCase, no nulls dropped.</summary>
internal static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
