using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary><c>@type list&lt;T&gt;</c>: an empty default list whose elements have type T.</summary>
public sealed class ConfigSchemaListTypeTests
{
    private static readonly ConfigSchema Schema = ConfigSchema.FromReference("""
        app {
          # @type list<object>
          entries = []
          plain = []
        }
        """, "ref.conf");

    [Fact]
    public void ListOfObject_AcceptsObjectEntries()
    {
        Assert.Equal((SettingType.List, SettingType.Object), (Schema.Settings["app.entries"].Type, Schema.Settings["app.entries"].ElementType));
        Assert.Empty(Schema.Validate(HoconParser.Parse("app.entries = [{ a = 1 }, { b = 2 }]", "user.conf")));
    }

    [Fact]
    public void ListOfObject_RejectsOtherEntriesAndNonLists()
    {
        var problem = Assert.Single(Schema.Validate(HoconParser.Parse("app.entries = [{ a = 1 }, x]", "user.conf")));
        Assert.Equal("user.conf:1:27: app.entries[1]: expected an object, found string \"x\"", problem.ToString());
        Assert.Equal("expected a list, found object", Assert.Single(Schema.Validate(HoconParser.Parse("app.entries { a = 1 }", "user.conf"))).Message);
    }

    [Fact]
    public void EmptyListWithoutAnnotation_StillMeansStrings()
    {
        Assert.Equal(SettingType.String, Schema.Settings["app.plain"].ElementType);
        Assert.Single(Schema.Validate(HoconParser.Parse("app.plain = [{}]", "user.conf")));
    }

    [Theory]
    [InlineData("list<thing>")]
    [InlineData("list<object")]
    [InlineData("list<7>")]
    public void UnknownElementType_IsAnErrorInTheReference(string type)
    {
        var error = Assert.Throws<HoconException>(() => ConfigSchema.FromReference($"# @type {type}\nx = []", "ref.conf"));
        Assert.Contains($"invalid annotation @type {type} on x", error.Message, StringComparison.Ordinal);
    }
}
