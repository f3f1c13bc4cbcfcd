using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Haven.Adapters.Configuration;

/// <summary>
/// Kills a program the daemon started (an event script, a fence agent) and everything it started, also what left its process
/// group: the program is started with a marker in its environment (<see cref="Mark"/>), which every descendant inherits,
/// including one that called setsid or was adopted by init after a double fork. At the kill, /proc is walked for the
/// program's process group, its descendants by parent links and every process carrying the marker; each is stopped
/// (SIGSTOP, so none forks meanwhile) until no new one turns up, then all are killed with SIGKILL. Only a descendant that
/// cleared its environment and left both the group and the parent chain could escape.
/// </summary>
public static class ProcessTreeKill
{
    /// <summary>The environment variable that marks a run's processes.</summary>
    public const string MarkerVariable = "HAVEN_RUN_ID";

    private const int SigKill = 9;
    private const int SigStop = 19;
    private const int Rounds = 16;

    /// <summary>Puts a fresh marker into <paramref name="start"/>'s environment and returns it.</summary>
    public static string Mark(ProcessStartInfo start)
    {
        var marker = Guid.NewGuid().ToString("N");
        start.Environment[MarkerVariable] = marker;
        return marker;
    }

    /// <summary>Kills <paramref name="pid"/>'s process group, descendants and marked processes; returns the pids killed.</summary>
    public static IReadOnlyCollection<int> Kill(int pid, string marker)
    {
        var self = Environment.ProcessId;
        var stopped = new HashSet<int>();
        for (var round = 0; round < Rounds; round++)
        {
            var found = Find(pid, marker).Where(p => p != self && !stopped.Contains(p)).ToList();
            if (found.Count == 0) break;
            foreach (var p in found)
            {
                _ = kill(p, SigStop);
                stopped.Add(p);
            }
        }
        _ = kill(-pid, SigKill);
        foreach (var p in stopped) _ = kill(p, SigKill);
        return stopped;
    }

    /// <summary>The live processes of the run: in <paramref name="pid"/>'s group, below it by parent links, or carrying the marker.</summary>
    internal static HashSet<int> Find(int pid, string marker)
    {
        var needle = Encoding.ASCII.GetBytes($"{MarkerVariable}={marker}\0");
        var parents = new Dictionary<int, int>();
        var found = new HashSet<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var p)) continue;
            if (Stat(p) is not { } stat || stat.State is 'Z' or 'X') continue;
            parents[p] = stat.Parent;
            if (p == pid || stat.Group == pid || Carries(p, needle)) found.Add(p);
        }
        bool added;
        do
        {
            added = false;
            foreach (var (p, parent) in parents)
                if (!found.Contains(p) && found.Contains(parent)) added = found.Add(p);
        }
        while (added);
        return found;
    }

    private static (char State, int Parent, int Group)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and parentheses, so split after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // gone meanwhile
        }
    }

    private static bool Carries(int pid, byte[] needle)
    {
        try
        {
            var environ = File.ReadAllBytes($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ");
            return environ.AsSpan().IndexOf(needle) >= 0 || (environ.Length > 0 && environ.AsSpan().EndsWith(needle.AsSpan(0, needle.Length - 1)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
