using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>The annotation language of reference files, on a small schema of its own.</summary>
public sealed class ConfigSchemaTests
{
    private const string Reference = """
        app {
          # The fence devices, by name.
          # @map
          devices {}

          # How to connect.
          # @enum tcp|udp
          protocol = tcp

          # @type size
          buffer = 5m

          window = 5m
          # @type any
          anything = 1
          ratio = 0.5
          names = [a]
        }
        """;

    private static readonly ConfigSchema Schema = ConfigSchema.FromReference(Reference, "ref.conf");

    private static IReadOnlyList<ConfigProblem> Validate(string text) => Schema.Validate(HoconParser.Parse(text, "user.conf"));

    [Fact]
    public void Map_AcceptsAnyKeysAndValues()
    {
        Assert.Empty(Validate("app.devices { pdu1 { type = snmp, port = 3 }, ipmi2.host = x }"));
        Assert.True(Schema.Settings["app.devices"].IsMap);
    }

    [Fact]
    public void Map_MustStillBeAnObject()
    {
        Assert.Single(Validate("app.devices = pdu1"));
    }

    [Fact]
    public void Enum_AnnotationRestrictsValues()
    {
        Assert.Equal(["tcp", "udp"], Schema.Settings["app.protocol"].AllowedValues);
        Assert.Empty(Validate("app.protocol = udp"));
        Assert.Single(Validate("app.protocol = sctp"));
    }

    [Fact]
    public void TypeAnnotation_OverridesInference()
    {
        Assert.Equal(SettingType.Size, Schema.Settings["app.buffer"].Type);
        Assert.Equal(SettingType.Duration, Schema.Settings["app.window"].Type);
        Assert.Equal(SettingType.Any, Schema.Settings["app.anything"].Type);
        Assert.Equal(SettingType.Number, Schema.Settings["app.ratio"].Type);
        Assert.Empty(Validate("app.buffer = 1MiB\napp.anything = [1]\napp.ratio = 2"));
        Assert.Single(Validate("app.window = 1MiB"));
    }

    [Fact]
    public void ListElements_MustMatchTheReferenceElements()
    {
        Assert.Empty(Validate("app.names = [x, y]"));
        Assert.Single(Validate("app.names = [x, [y]]"));
    }

    [Fact]
    public void UnknownAnnotation_IsRejected()
    {
        var ex = Assert.Throws<HoconException>(() => ConfigSchema.FromReference("# @enmu a|b\na = a", "ref.conf"));
        Assert.Equal("ref.conf:1:1: invalid annotation @enmu a|b on a", ex.Message);
    }

    [Fact]
    public void Annotation_SeparatedByBlankLine_DoesNotApply()
    {
        var schema = ConfigSchema.FromReference("# @enum a|b\n\nx = a", "ref.conf");
        Assert.Null(schema.Settings["x"].AllowedValues);
    }
}
