using System.Diagnostics;
using System.Net.Sockets;
using Haven.TestKit;
using Npgsql;

namespace Haven.Adapters.Tests.Persistence;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "postgres";
}

/// <summary>
/// A throwaway PostgreSQL 15 server (Debian's binaries) on a free loopback port, in a temporary folder
/// that is removed on dispose. Fails loudly when the server cannot start: the tests that need it fail
/// with this message instead of being skipped. initdb and postgres refuse root, so as root they run as
/// the postgres user through runuser.
/// </summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private readonly string _root = Directory.CreateTempSubdirectory("haven-pg-").FullName;
    private string DataDirectory => Path.Combine(_root, "data");
    private bool _started;

    public int Port { get; private set; }

    /// <summary>Connection string to the server's postgres database (superuser, trust auth).</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = "postgres", Database = "postgres", Pooling = false,
    }.ToString();

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the throwaway PostgreSQL server needs Debian's postgresql-15 on Linux");
        try
        {
            foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
                if (!File.Exists(Path.Combine(BinDirectory, tool)))
                    throw new InvalidOperationException(
                        $"PostgreSQL server binaries not found at {BinDirectory} (missing {tool}): apt-get install postgresql-15");
            // The postgres user must be able to create the data folder and the socket inside the root folder.
            File.SetUnixFileMode(_root, (UnixFileMode)0x1FF);
            await RunAsync("initdb", ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
            // The port is free when picked; should something bind it before the server does, start again on another.
            for (var attempt = 1; !_started; attempt++)
            {
                Port = LoopbackPorts.Free(ProtocolType.Tcp);
                try
                {
                    await RunAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "30", "-o",
                        $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);
                    _started = true;
                }
                catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("could not bind", StringComparison.Ordinal))
                {
                }
            }
        }
        catch
        {
            // xunit does not dispose a fixture whose initialization failed: clean up here.
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh schema for one test; the connection string sets it as the search path.</summary>
    public async Task<string> CreateSchemaAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { SearchPath = schema, Pooling = true }.ToString();
    }

    /// <summary>A fresh schema with the journal tables migrated into it.</summary>
    public async Task<string> CreateMigratedSchemaAsync()
    {
        var connectionString = await CreateSchemaAsync();
        await Haven.Adapters.Persistence.Postgres.PostgresSchema.MigrateAsync(connectionString);
        return connectionString;
    }

    /// <summary>
    /// Kills the sessions named "haven NODE" (a journal lock's application name) and waits, bounded, until their
    /// backends exited; the number killed.
    /// </summary>
    public async Task<long> TerminateLockSessionAsync(string node)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "WITH victim AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = @app) " +
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM victim", connection);
        command.Parameters.AddWithValue("app", $"haven {node}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            if (_started || File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"]);
        }
        finally
        {
            if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        }
    }

    private async Task RunAsync(string tool, IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var path = Path.Combine(BinDirectory, tool);
        if (Environment.UserName == "root")
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", path }) psi.ArgumentList.Add(a);
        }
        else
        {
            psi.FileName = path;
        }
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)
            ?? throw new InvalidOperationException($"could not start {psi.FileName} for {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_root, "server.log");
            var serverLog = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
            throw new InvalidOperationException(
                $"{tool} failed (exit {process.ExitCode}) for the throwaway PostgreSQL server in {_root}: {await stderr}{await stdout}{serverLog}");
        }
    }
}
