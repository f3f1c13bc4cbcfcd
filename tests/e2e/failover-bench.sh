#!/usr/bin/env bash
# Failover gap, measured from a client by ARP (tests/e2e/arp-prober.py, a request every 10 ms), Haven
# against keepalived in the same namespaces (tests/e2e/cluster.sh, 3 hosts, floating address
# 10.213.1.100/24 on eth1, the client on the same bridge). Root only. Not a test: it prints figures.
#
#   failover-bench.sh [--runs N] [SCENARIO...]
#
# Scenarios (default: all, in this order):
#   haven-default   Haven's defaults (stable-after 500ms), corosync token 1000 with the default
#                   token_coefficient 650; the holder crashes (daemon kill -9, both links down)
#   haven-fast      hocon/profiles/fast-failover.conf, corosync token 400, token_coefficient 0; crash
#   haven-daemon    the fast profile; only the holder's daemon is killed -9 (links stay up: the old
#                   host keeps answering until the fence takes it off)
#   haven-snmp      Haven's defaults, corosync token 500, token_coefficient 0, and a real SNMP fence:
#                   snmpd emulating an IBM AMM (cluster.sh --fence-snmp: snmp-ibm-amm, no-softoff =
#                   on; the emulator's off switch is the script device's power switch); crash
#   haven-fast-snmp the fast profile's Haven settings, token 500/0, the SNMP fence; crash
#   keepalived      Debian's keepalived, VRRP advert_int 1, unicast peers, priorities 150/100/50, no
#                   fencing; the master crashes (every keepalived process kill -9, both links down)
#
# For each run: the gap (longest time without an ARP reply for the address), whether two MACs ever
# answered within one 10 ms interval (conflicts) and whether the MACs seen were exactly "old, then
# new"; for Haven, where the time went, from the new holder's journal (`haven events`): detection
# (crash → the membership change, from its log), stable-after (→ node-down), fence (fence-requested → fence-succeeded,
# the device confirming off; of it, the DC's journal write before it starts the fence, from the DC's log "Fencing
# nX (", and with --fence-snmp request → the off SET reaching the switch),
# assignment (→ takeip for the new holder) and take (→ the new holder's first ARP reply: probe,
# `ip addr add`, gratuitous ARP). At the end: median and max gap per scenario, and the median of each
# part. Logs of every run stay under $OUT (default /tmp/haven-failover-bench). Every cluster is taken
# down after its run, also on failure.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cluster="$here/cluster.sh"
prober="$here/arp-prober.py"
profile="$repo/hocon/profiles/fast-failover.conf"
address=10.213.1.100
out=${OUT:-/tmp/haven-failover-bench}
runs=5
scenarios=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=${2:?}; [[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs wants a positive number" >&2; exit 2; }; shift 2 ;;
    haven-default|haven-fast|haven-daemon|haven-snmp|haven-fast-snmp|keepalived) scenarios+=("$1"); shift ;;
    *) sed -n '2,30p' "$0" >&2; exit 2 ;;
  esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(haven-default haven-fast haven-daemon haven-snmp haven-fast-snmp keepalived)
command -v keepalived >/dev/null || [[ " ${scenarios[*]} " != *" keepalived "* ]] || { echo "keepalived is missing: apt-get install keepalived" >&2; exit 1; }
[ -f "$profile" ] || { echo "profile $profile not found" >&2; exit 1; }

export HAVEN_E2E_RUN=fobn
state="${HAVEN_E2E_STATE:-/tmp/haven-e2e}/$HAVEN_E2E_RUN"
mkdir -p "$out"
results="$out/results.txt"
: >"$results"
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT

wait_until() { # SECONDS WHAT CMD...
  local end=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { echo "timed out after ${end}s waiting for $what" >&2; return 1; }
    sleep 0.1
  done
}
one_holder() { [ "$("$cluster" holder $address | wc -l)" -eq 1 ]; }
other_holder() { "$cluster" holder $address | grep -vx "$1"; }
formed() { # every host sees 3 up members, primary
  local i
  for i in 1 2 3; do
    "$cluster" haven "$i" cluster status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s["partition"] == "primary" and [m["state"] for m in s["members"]] == ["up"] * 3 else 1)' || return 1
  done
}
master_is_n1() { [ "$("$cluster" holder $address)" = 1 ]; }
replied() { grep -q " $1\$" "$2"; }

keepalived_up() {
  local i j d
  for i in 1 2 3; do
    d="$state/n$i"
    {
      echo "global_defs { router_id n$i }"
      echo "vrrp_instance haven_bench {"
      echo "  state BACKUP"
      echo "  interface eth1"
      echo "  virtual_router_id 51"
      echo "  priority $((200 - 50 * i))"
      echo "  advert_int 1"
      echo "  unicast_src_ip 10.213.1.$i"
      echo "  unicast_peer {"; for j in 1 2 3; do [ "$j" = "$i" ] || echo "    10.213.1.$j"; done; echo "  }"
      echo "  virtual_ipaddress {"; echo "    $address/24 dev eth1"; echo "  }"
      echo "}"
    } >"$d/keepalived.conf"
    "$cluster" exec "$i" keepalived --dont-fork --log-console --vrrp --use-file "$d/keepalived.conf" \
      --pid "$d/keepalived.pid" --vrrp_pid "$d/keepalived-vrrp.pid" </dev/null >"$d/keepalived.out" 2>&1 &
    disown
  done
}

keepalived_crash() { # I: host I dies: both links down, every keepalived process of it frozen, then SIGKILL
  # (killing the parent first would let the VRRP child exit gracefully and send a priority-0 advert,
  # which a crash never does: the backups would take over after the skew time alone)
  local p pids=()
  ip -n "hv-$HAVEN_E2E_RUN-net" link set "c$1" down
  ip -n "hv-$HAVEN_E2E_RUN-net" link set "u$1" down
  for p in $(ip netns pids "hv-$HAVEN_E2E_RUN-n$1"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = keepalived ] && pids+=("$p")
  done
  [ ${#pids[@]} -gt 0 ] || { echo "no keepalived on host $1" >&2; return 1; }
  kill -STOP "${pids[@]}" 2>/dev/null || true
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

one_run() { # SCENARIO RUN
  local scenario=$1 n=$2 crashed old new oldmac newmac ppid summary dir="$out/$1-$2"
  rm -rf "$dir"; mkdir -p "$dir"
  "$cluster" down >/dev/null 2>&1 || true
  case $scenario in
    haven-default) "$cluster" up 3 --token 1000 --token-coefficient 650 --public $address/24 --fence ;;
    haven-fast|haven-daemon) "$cluster" up 3 --token 400 --token-coefficient 0 --public $address/24 --fence --extra "$profile" ;;
    haven-snmp) "$cluster" up 3 --token 500 --token-coefficient 0 --public $address/24 --fence-snmp ;;
    haven-fast-snmp) "$cluster" up 3 --token 500 --token-coefficient 0 --public $address/24 --fence-snmp --extra "$profile" ;;
    keepalived) "$cluster" up 3 --bare --public $address/24; keepalived_up ;;
  esac >"$dir/up.out" 2>&1
  if [ "$scenario" = keepalived ]; then
    wait_until 60 "n1 (priority 150) as the only VRRP master" master_is_n1; sleep 2
    master_is_n1 || { echo "keepalived: n1 is not the only master after settling" >&2; return 1; }
  else
    wait_until 60 "the cluster to form" formed
  fi
  wait_until 60 "one host holding $address" one_holder
  old=$("$cluster" holder $address); oldmac=$("$cluster" mac "$old")
  # real-time priority when possible: on a loaded machine a starved prober would add its own gaps
  "$cluster" client $(command -v chrt >/dev/null && echo chrt -f 10) python3 "$prober" --iface eth0 --target $address --interval 0.01 --log "$state/probe.log" >"$dir/probe.json" 2>"$dir/probe.err" &
  ppid=$!
  wait_until 10 "a reply from the holder" replied "$oldmac" "$state/probe.log"
  sleep 1
  crashed=$(date +%s.%N)
  case $scenario in
    haven-default|haven-fast|haven-snmp|haven-fast-snmp) "$cluster" crash "$old" ;;
    haven-daemon) "$cluster" kill "$old" ;;
    keepalived) keepalived_crash "$old" ;;
  esac
  wait_until 60 "another host holding $address" other_holder "$old"
  new=$(other_holder "$old" | head -1); newmac=$("$cluster" mac "$new")
  wait_until 60 "a reply from the new holder" replied "$newmac" "$state/probe.log"
  sleep 1
  kill -TERM "$ppid"; wait "$ppid" || true
  [ "$scenario" = keepalived ] || "$cluster" haven "$new" events --json >"$dir/events.json" 2>"$dir/events.err" || true
  cp -r "$state"/n[1-9] "$state/probe.log" "$dir/" 2>/dev/null || true
  [ -d "$state/fence" ] && cp -r "$state/fence" "$dir/"
  "$cluster" down >/dev/null 2>&1
  summary=$(tail -1 "$dir/probe.json")
  python3 - "$scenario" "$n" "$oldmac" "$newmac" "$summary" "$crashed" <<'PY' | tee -a "$results"
import json, sys
scenario, n, old, new, s, crashed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5]), float(sys.argv[6])
order = [m["mac"] for m in s["macs"]]
first_new = next((m["first_ms"] for m in s["macs"] if m["mac"] == new), None)
to_new = first_new - (crashed - s["start_epoch"]) * 1000 if first_new is not None else -1
print(f"{scenario} run {n}: gap {s['gap_ms']:.0f} ms, crash to new MAC {to_new:.0f} ms, conflicts {s['conflicts']}, "
      f"macs {'old,new' if order == [old, new] and s['mac_runs'] == 2 else order}")
PY
  [ -f "$dir/events.json" ] && breakdown "$scenario" "$n" "$dir" "$old" "$new" "$newmac" "$summary" "$crashed" | tee -a "$results"
  true
}

breakdown() { # SCENARIO RUN DIR OLD NEW NEWMAC SUMMARY CRASHED: the parts of the gap, from the new holder's journal
  python3 - "$@" <<'PY'
import json, sys
from datetime import datetime
scenario, n, d, old, new, newmac, s, crashed = sys.argv[1:9]
old, new, s, crashed = int(old), int(new), json.loads(s), float(crashed)
events = [(datetime.fromisoformat(e["timestamp"]).timestamp(), e["type"], e.get("fields") or {}) for e in json.load(open(f"{d}/events.json"))]
# The journal has no event for the membership change itself (NodeUnreachable is journaled with the
# resolver's decision): the new holder's log line "Membership of CLUSTER changed: ...; left nOLD(...)" is it.
changed = None
for line in open(f"{d}/n{new}/haven.log", errors="replace"):
    if f"; left n{old}(" in line and " changed: members " in line:
        t = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()  # the daemon logs local time
        if t >= crashed:
            changed = t
            break
def first(kind, after, **match):
    return next((t for t, k, f in events if k == kind and t >= after and all(f.get(x) == v for x, v in match.items())), None)
down = first("cluster.node-down.v1", crashed, node=old)
requested = first("cluster.fence-requested.v1", crashed, target=old)
fenced = first("cluster.fence-succeeded.v1", crashed, target=old)
taken = first("cluster.takeip.v1", fenced or crashed, node=new)
first_new = next((m["first_ms"] for m in s["macs"] if m["mac"] == newmac), None)
replied = s["start_epoch"] + first_new / 1000 if first_new is not None else None
# The DC starts the fence once its FenceRequested is delivered and journaled (the journal's timestamp is the
# proposal's): its log line "Fencing nOLD (REASON)" is that moment.
started = None
for i in (1, 2, 3):
    if i == old:
        continue
    try:
        for line in open(f"{d}/n{i}/haven.log", errors="replace"):
            if f"] Fencing n{old} (" in line:
                t = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()
                if t >= crashed:
                    started = t if started is None else min(started, t)
                    break
    except OSError:
        pass
switched = None  # the off SET reaching the power switch (STATE/fence/power: EPOCH HOST off)
try:
    switched = next(float(t) for t, h, v in (l.split() for l in open(f"{d}/fence/power")) if int(h) == old and v == "off" and float(t) >= crashed)
except (OSError, StopIteration, ValueError):
    pass
def part(a, b):
    return f"{b - a:.2f}" if a is not None and b is not None else "?"
fence = part(requested, fenced) + f" (journaled and fencing started after {part(requested, started)}" + (
    f", request to off SET {part(requested, switched)}, then off confirmed {part(switched, fenced)})" if switched else ")")
print(f"{scenario} run {n} breakdown: detection {part(crashed, changed)} s, stable-after {part(changed, down)} s, "
      f"decision to fence request {part(down, requested)} s, fence {fence} s, assignment {part(fenced, taken)} s, take {part(taken, replied)} s")
PY
}

echo "failover bench: ${scenarios[*]}, $runs runs each, started $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in "${scenarios[@]}"; do
  for n in $(seq "$runs"); do one_run "$scenario" "$n"; done
done
echo "finished $(date -u '+%H:%M:%S UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) run \d+: gap (\d+) ms, crash to new MAC (-?\d+) ms, conflicts (\d+), macs (.*)", line)
    if m:
        rows.setdefault(m[1], []).append((int(m[2]), int(m[3]), int(m[4]), m[5].strip() == "old,new"))
print(f"{'scenario':<15} {'runs':>4} {'median gap':>11} {'max gap':>8} {'median crash->new':>18} {'conflicts':>9} {'old->new':>8}")
for k, v in rows.items():
    gaps = [g for g, _, _, _ in v]
    print(f"{k:<15} {len(v):>4} {statistics.median(gaps):>8.0f} ms {max(gaps):>5} ms {statistics.median(t for _, t, _, _ in v):>15.0f} ms"
          f" {sum(c for _, _, c, _ in v):>9} {sum(o for _, _, _, o in v):>5}/{len(v)}")
parts = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) run \d+ breakdown: (.*)", line)
    if m:
        for name, value in re.findall(r"(detection|stable-after|decision to fence request|fence|started after|assignment|take) (\d+\.\d+|\?)", m[2]):
            if value != "?":
                parts.setdefault(m[1], {}).setdefault(name, []).append(float(value))
if parts:
    names = ["detection", "stable-after", "decision to fence request", "fence", "started after", "assignment", "take"]
    print()
    print(f"{'median s':<15} " + " ".join(f"{x:>10}" for x in ["detection", "stable", "to request", "fence", "(started)", "assignment", "take"]))
    for k, v in parts.items():
        print(f"{k:<15} " + " ".join(f"{statistics.median(v[x]):>10.2f}" if x in v else f"{'?':>10}" for x in names))
PY
