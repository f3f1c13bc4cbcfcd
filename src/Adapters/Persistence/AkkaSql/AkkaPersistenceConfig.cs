using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Akka.Serialization;
using Haven.Actors.Persistence;
using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.AkkaSql;

/// <summary>
/// The akka.persistence part of a real host's Akka Config: Akka.Persistence.Sql's journal and snapshot store on
/// this host's SQLite file or its tables in the shared PostgreSQL database, tables made by the plugin at start
/// (auto-initialize; no store constructor does DDL), events bound to <see cref="HavenJsonAkkaSerializer"/>.
/// The text is merged over <see cref="Haven.Actors.Akka.AkkaConfig"/>'s and falls back on the plugin's reference
/// config. Parse failures are Haven bugs: every value comes from validated settings.
/// </summary>
public static class AkkaPersistenceConfig
{
    public const string JournalPluginId = "akka.persistence.journal.sql";
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";
    public const string SqliteProvider = "SQLite.MS";
    public const string PostgresProvider = "PostgreSQL.15";

    /// <summary>The HOCON of the two plugins; <see cref="AkkaPersistenceSettings.Validate"/> runs first.</summary>
    public static string Render(AkkaPersistenceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var connection = Quote(ConnectionString(settings));
        var provider = settings.Engine == AkkaSqlEngine.Sqlite ? SqliteProvider : PostgresProvider;
        var text = new StringBuilder();
        text.AppendLine($$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPluginId}}"
                sql {
                  connection-string = {{connection}}
                  provider-name = "{{provider}}"
                  auto-initialize = on
                  table-mapping = default
                  tag-write-mode = TagTable
                  batch-size = {{I(settings.BatchSize)}}
                  db-round-trip-max-batch-size = {{I(settings.RoundTripMaxBatchSize)}}
                  parallelism = {{I(settings.Parallelism)}}
                  replay-batch-size = {{I(settings.ReplayBatchSize)}}
                  buffer-size = {{I(settings.BufferSize)}}
                  default.journal.table-name = {{Quote(settings.JournalTable)}}
                  default.metadata.table-name = {{Quote(settings.MetadataTable)}}
                  default.tag.table-name = {{Quote(settings.TagTable)}}
                }
              }
              snapshot-store {
                plugin = "{{SnapshotPluginId}}"
                sql {
                  connection-string = {{connection}}
                  provider-name = "{{provider}}"
                  auto-initialize = on
                  table-mapping = default
                  default.snapshot.table-name = {{Quote(settings.SnapshotTable)}}
                }
              }
              query.journal.sql {
                connection-string = {{connection}}
                provider-name = "{{provider}}"
                table-mapping = default
                tag-read-mode = TagTable
                default.journal.table-name = {{Quote(settings.JournalTable)}}
                default.metadata.table-name = {{Quote(settings.MetadataTable)}}
                default.tag.table-name = {{Quote(settings.TagTable)}}
              }
            }
            """);
        return text.ToString();
    }

    /// <summary>
    /// <paramref name="baseConfig"/> (the host's <c>AkkaConfig.Build</c>) with the persistence plugins over it and
    /// the plugin's reference config under both.
    /// </summary>
    public static Config Build(AkkaPersistenceSettings settings, Config? baseConfig = null)
    {
        var persistence = ConfigurationFactory.ParseString(Render(settings));
        var merged = baseConfig is null ? persistence : persistence.WithFallback(baseConfig);
        return merged.WithFallback(SqlPersistence.DefaultConfiguration);
    }

    /// <summary>The ActorSystem setup: the config, and every registered event type bound to Haven's JSON serializer.</summary>
    public static ActorSystemSetup Setup(Config config, EventManifestRegistry registry, JsonEventSerializer? serializer = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var types = registry.Registrations.Select(r => r.Value).ToImmutableHashSet();
        var json = serializer ?? new JsonEventSerializer(registry);
        var serialization = SerializationSetup.Create(system => ImmutableHashSet.Create(
            SerializerDetails.Create(HavenJsonAkkaSerializer.Alias, new HavenJsonAkkaSerializer(system, registry, json), types)));
        return BootstrapSetup.Create().WithConfig(config).And(serialization);
    }

    /// <summary>The connection string the plugin gets: the SQLite file (read-write, never created by the plugin) or the Npgsql string as given.</summary>
    public static string ConnectionString(AkkaPersistenceSettings settings) => settings.Engine == AkkaSqlEngine.Sqlite
        ? new SqliteConnectionStringBuilder
        {
            DataSource = settings.Database,
            Mode = SqliteOpenMode.ReadWrite,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Sqlite.SqliteDatabase.BusyTimeoutMs / 1000,
        }.ToString()
        : settings.Database;

    /// <summary>A HOCON quoted string (backslash and quote escaped).</summary>
    internal static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
