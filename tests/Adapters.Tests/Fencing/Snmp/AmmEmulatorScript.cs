namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>
/// The pass_persist script snmpd runs: it serves sysDescr and the IBM blade table (.22.1.6.1.1:
/// index .1, power state .4, name .6, power control .7) from a JSON state file that the tests write,
/// changes the power state on SET of the control column, and records every SET. The state's
/// <c>mode</c> makes it misbehave: <c>refuse</c> (SET answers not-writable), <c>hang</c> (SET never
/// answers within the test), <c>lie</c> (SET is accepted, the state stays as it was).
/// </summary>
internal static class AmmEmulatorScript
{
    public const string Python = """
        import sys, json, os, time
        STATE = sys.argv[1]
        SYSTEM = ".1.3.6.1.2.1.1"
        BASE = ".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1"

        def load():
            with open(STATE) as f:
                return json.load(f)

        def save(s):
            tmp = STATE + ".tmp"
            with open(tmp, "w") as f:
                json.dump(s, f)
            os.replace(tmp, STATE)

        def key(oid):
            return tuple(int(x) for x in oid.strip(".").split("."))

        def rows(s):
            r = {SYSTEM + ".1.0": ("string", s["sysdescr"]), SYSTEM + ".5.0": ("string", "amm-emulator")}
            for i, b in enumerate(s["blades"], 1):
                r[f"{BASE}.1.{i}"] = ("integer", str(i))
                r[f"{BASE}.4.{i}"] = ("integer", str(b["power"]))
                r[f"{BASE}.6.{i}"] = ("string", b["name"])
                r[f"{BASE}.7.{i}"] = ("integer", str(b["power"]))
            return r

        def out(*lines):
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()

        def answer(oid, r):
            t, v = r[oid]
            out(oid, t, v)

        def read_state(s, oid):
            # Reading a blade's power state completes a pending (slow) power-down after N reads.
            if oid.startswith(BASE + ".4."):
                b = s["blades"][int(oid.rsplit(".", 1)[1]) - 1]
                if b.get("pending", 0) > 0:
                    b["pending"] -= 1
                    if b["pending"] == 0:
                        b["power"] = b.pop("target")
                    save(s)

        def do_set(s, oid, value):
            parts = value.split(None, 1)
            if not oid.startswith(BASE + ".7."):
                return "not-writable"
            if len(parts) != 2 or parts[0] != "integer":
                return "wrong-type"
            i = int(oid.rsplit(".", 1)[1])
            if i < 1 or i > len(s["blades"]):
                return "no-creation"
            v = int(parts[1])
            s.setdefault("sets", []).append([i, v])
            mode = s.get("mode", "normal")
            if mode == "refuse":
                save(s)
                return "not-writable"
            if mode == "hang":
                save(s)
                time.sleep(s.get("hang_seconds", 30))
                return "DONE"
            if mode == "lie":
                save(s)
                return "DONE"
            b = s["blades"][i - 1]
            if v == 2 and not s.get("softoff_works", True):
                pass
            elif v in (0, 2):
                if s.get("off_delay_reads", 0) > 0:
                    b["pending"] = s["off_delay_reads"]
                    b["target"] = 0
                else:
                    b["power"] = 0
            elif v == 1:
                b["power"] = 1
            else:
                save(s)
                return "wrong-value"
            save(s)
            return "DONE"

        while True:
            line = sys.stdin.readline()
            if not line:
                break
            cmd = line.strip()
            if cmd == "":
                continue
            if cmd == "PING":
                out("PONG")
                continue
            oid = sys.stdin.readline().strip()
            s = load()
            if cmd == "get":
                read_state(s, oid)
                r = rows(s)
                answer(oid, r) if oid in r else out("NONE")
            elif cmd == "getnext":
                r = rows(s)
                k = key(oid)
                later = sorted((key(o), o) for o in r if key(o) > k)
                answer(later[0][1], r) if later else out("NONE")
            elif cmd == "set":
                value = sys.stdin.readline().strip()
                out(do_set(s, oid, value))
            else:
                out("NONE")
        """;
}
