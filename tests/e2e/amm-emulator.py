#!/usr/bin/env python3
"""An IBM BladeCenter AMM / Flex CMM for snmpd's pass_persist: snmpd runs it as
   pass_persist .1.3.6.1.2.1.1 /usr/bin/python3 -u amm-emulator.py STATE.json
   pass_persist .1.3.6.1.4.1.2.3.51.2.22.1.6 /usr/bin/python3 -u amm-emulator.py STATE.json
It serves sysDescr and the IBM blade table (.22.1.6.1.1: index .1, power state .4, name .6, power
control .7) from the JSON state file, changes the power state on SET of the control column, and records
every SET. The state's "mode" makes it misbehave: refuse (SET answers not-writable), hang (SET never
answers within a test), lie (SET is accepted, the state stays as it was); "off_delay_reads" makes the
state read the old value that many more times after an off.

"power_hook" (a list: argv) makes a SET really switch something: on an off (0, or 2 when soft-off
works) or an on (1) it starts HOOK... SLOT off|on and the blade's power state keeps reading the old
value until the hook has exited 0 (a hook that fails leaves it as it was). tests/e2e/cluster.sh
--fence-snmp uses it to power a namespace host off. Used by tests/Adapters.Tests (SnmpdEmulator) and
tests/e2e/cluster.sh.
"""
import subprocess
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

HOOKS = {}  # slot -> (process, target power) of a power_hook still switching that blade


def switch(s, i, b, target):
    """Sets blade i's power to target: at once, after off_delay_reads reads, or once the power hook exited 0."""
    if s.get("power_hook"):
        HOOKS[i] = (subprocess.Popen(s["power_hook"] + [str(i), "off" if target == 0 else "on"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL), target)
    elif target == 0 and s.get("off_delay_reads", 0) > 0:
        b["pending"] = s["off_delay_reads"]
        b["target"] = 0
    else:
        b["power"] = target


def read_state(s, oid):
    # Reading a blade's power state completes a pending (slow) power-down after N reads, or a hook's switch.
    if oid.startswith(BASE + ".4."):
        i = int(oid.rsplit(".", 1)[1])
        b = s["blades"][i - 1]
        if i in HOOKS and HOOKS[i][0].poll() is not None:
            process, target = HOOKS.pop(i)
            if process.returncode == 0:
                b["power"] = target
            save(s)
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
        switch(s, i, b, 0)
    elif v == 1:
        switch(s, i, b, 1)
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
