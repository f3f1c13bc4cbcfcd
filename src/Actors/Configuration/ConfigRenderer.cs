using System.Text;

namespace Haven.Actors.Configuration;

/// <summary>Writes a resolved tree as indented, JSON-compatible HOCON.</summary>
internal static class ConfigRenderer
{
    public static string Render(HoconValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, HoconValue value, int indent)
    {
        switch (value)
        {
            case HoconObject obj when obj.Count == 0:
                sb.Append("{}");
                break;
            case HoconObject obj:
                sb.Append("{\n");
                foreach (var key in obj.Keys)
                {
                    sb.Append(' ', (indent + 1) * 2).Append(Quote(key)).Append(" : ");
                    Write(sb, obj[key], indent + 1);
                    sb.Append('\n');
                }

                sb.Append(' ', indent * 2).Append('}');
                break;
            case HoconList list:
                sb.Append('[');
                for (var i = 0; i < list.Items.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ", ");
                    Write(sb, list.Items[i], indent + 1);
                }

                sb.Append(']');
                break;
            case HoconScalar { ScalarKind: HoconValueKind.String } s:
                sb.Append(Quote(s.Text));
                break;
            case HoconScalar s:
                sb.Append(s.Text);
                break;
        }
    }

    private static string Quote(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
