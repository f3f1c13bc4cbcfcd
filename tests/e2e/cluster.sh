#!/usr/bin/env bash
# A real Haven cluster on one machine: N network namespaces, one corosync and one `haven daemon` each.
# Root only. Everything it makes is recorded under the state dir and `down` removes exactly that.
#
#   cluster.sh up N [--token MS] [--token-coefficient MS] [--stable-after DUR] [--heuristics]
#                   [--extra FILE] [--public A.B.C.D/NN] [--fence | --fence-snmp] [--bare] [--no-nodes]
#                             create namespaces, links, corosync and daemons for hosts 1..N;
#                             --public: a floating address on every host's eth1 (the uplink) and a
#                             client namespace on the same bridge (10.213.1.250); --fence: a script
#                             fence device that powers a host "off" (both links down, its daemon and
#                             corosync and its process VMs killed); --fence-snmp: the same power switch
#                             behind an SNMP IBM AMM (snmpd with tests/e2e/amm-emulator.py at
#                             10.213.1.254:161, device type snmp-ibm-amm, no-softoff = on, blades n1..nN);
#                             --bare: network only (no corosync, no daemons);
#                             --no-nodes: haven.conf without haven.cluster.nodes (taken from corosync's nodelist)
#   cluster.sh crash I              host I dies: both its links down, then kill -9 its daemon
#   cluster.sh client CMD...        run a command inside the client namespace (needs --public)
#   cluster.sh holder A.B.C.D       print the hosts whose eth1 holds the address (one per line)
#   cluster.sh mac I                print the MAC address of host I's eth1
#   cluster.sh cut I | mend I       take host I's cluster link down / up (a partition of I)
#   cluster.sh uplink-cut I | uplink-mend I
#                             take host I's uplink down / up (the heuristic gateway 10.213.1.254)
#   cluster.sh kill I               kill -9 host I's daemon
#   cluster.sh start I              start host I's daemon again
#   cluster.sh add-host I           a new host I (cluster up with --no-nodes): namespace, a node block in every
#                             host's corosync.conf, its corosync started; then corosync-cfgtool -R, start I
#   cluster.sh corosync-stop I | corosync-start I
#                             stop (SIGTERM) / start host I's corosync (the daemon must reconnect)
#   cluster.sh haven I ARGS...      run a haven verb against host I's control socket
#   cluster.sh exec I CMD...        run a command inside host I's namespace
#   cluster.sh down                 stop and remove everything `up` made (idempotent)
#   cluster.sh info                 print the state dir, run id and hosts
#
# Environment: HAVEN_E2E_RUN (run id, [a-z0-9]{1,6}, default "t"), HAVEN_E2E_STATE (state root,
# default /tmp/haven-e2e), HAVEN_DLL (path to haven.dll; default: the Release build of src/Host).
# Addresses: cluster link 10.213.0.I/24, uplink 10.213.1.I/24; they exist only inside the namespaces.
set -euo pipefail

run=${HAVEN_E2E_RUN:-t}
[[ $run =~ ^[a-z0-9]{1,6}$ ]] || { echo "HAVEN_E2E_RUN must match [a-z0-9]{1,6}, got '$run'" >&2; exit 2; }
root=${HAVEN_E2E_STATE:-/tmp/haven-e2e}
state="$root/$run"
net="hv-$run-net"
here="$(cd "$(dirname "$0")" && pwd)"
dll=${HAVEN_DLL:-"$here/../../src/Host/bin/Release/net10.0/haven.dll"}

die() { echo "cluster.sh: $*" >&2; exit 1; }
ns() { echo "hv-$run-n$1"; }
host_dir() { echo "$state/n$1"; }
need_host() { [[ $1 =~ ^[1-9]$ ]] || die "host must be 1..9, got '$1'"; [ -d "$(host_dir "$1")" ] || die "host $1 is not up (no $(host_dir "$1"))"; }

require() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, corosync)"
  command -v ip >/dev/null || die "ip (iproute2) is missing: apt-get install iproute2"
  command -v unshare >/dev/null || die "unshare (util-linux) is missing"
  if ! command -v corosync >/dev/null; then
    echo "installing corosync" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends corosync >/dev/null || die "corosync is missing and could not be installed"
  fi
  command -v dotnet >/dev/null || die "dotnet is missing"
  [ -f "$dll" ] || die "haven.dll not found at $dll (build src/Host -c Release or set HAVEN_DLL)"
}

# Is PID still the process we started (its command line names our state dir)?
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$state/"; }

kill_vms() { # HOST_DIR: SIGKILL the process groups of the host's process VMs (pid and start time as recorded)
  local f p t s
  for f in "$1"/vms/*.json; do
    [ -f "$f" ] || continue
    p=$(sed -n 's/.*"Pid":\([0-9]*\).*/\1/p' "$f"); t=$(sed -n 's/.*"StartTime":\([0-9]*\).*/\1/p' "$f")
    [ -n "$p" ] && s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s
    [ "${20:-}" = "$t" ] && kill -KILL -- "-$p" 2>/dev/null || true
  done
}

stop_pid() { # FILE: signal the recorded pid, wait up to 5 s, then SIGKILL
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do ours "$pid" || break; sleep 0.1; done
    ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

corosync_conf() { # N TOKEN COEFFICIENT
  local n=$1 token=$2 coefficient=$3 i
  cat <<CONF
totem {
version: 2
cluster_name: haven-$run
transport: knet
token: $token
token_coefficient: $coefficient
crypto_cipher: none
crypto_hash: none
}
logging {
to_stderr: yes
to_logfile: no
to_syslog: no
timestamp: on
}
quorum {
provider: corosync_votequorum
CONF
  [ "$n" -eq 2 ] && echo "two_node: 1"
  echo "}"
  echo "nodelist {"
  for i in $(seq "$n"); do
    printf 'node {\nring0_addr: 10.213.0.%s\nnodeid: %s\nname: n%s\n}\n' "$i" "$i" "$i"
  done
  echo "}"
}

haven_conf() { # I N STABLE HEURISTICS
  local i=$1 n=$2 stable=$3 heur=$4 d j
  d=$(host_dir "$i")
  echo "haven {"
  echo "  cluster { name = \"haven-$run\", node-name = n$i, transport = corosync"
  if [ "$nodes" = on ]; then
    echo -n "    nodes = ["
    for j in $(seq "$n"); do echo -n " { name = n$j, id = $j },"; done
    echo -n " ]"
  fi
  echo " }"
  echo "  journal { provider = sqlite, sqlite.path = \"$d/journal.db\" }"
  echo "  control.socket = \"$d/haven.sock\""
  echo "  logging { console = off, level = debug, file.path = \"$d/haven.log\" }"
  [ -z "$stable" ] || echo "  split-brain-resolver { stable-after = $stable }" # none given: Haven's default
  echo "  vms.hypervisors.process.state-dir = \"$d/vms\""
  if [ -n "$public" ]; then
    echo "  ips.public-addresses = [ { address = \"$public\", interface = eth1 } ]"
  fi
  if [ "$fence" = on ]; then
    echo "  fencing { enabled = on, device-timeout = 15s, secrets-file = \"$state/fence/secrets.conf\"" 
    echo "    devices { e2e { type = script, directory = \"$state/fence\", script = e2e, timeout = 10s } }"
    echo "    topology { \"*\" = [[e2e]] } }"
  elif [ "$fence" = snmp ]; then
    echo "  fencing { enabled = on, device-timeout = 15s, secrets-file = \"$state/fence/secrets.conf\""
    echo "    devices { amm { type = snmp-ibm-amm, address = \"10.213.1.254\", no-softoff = on, off-timeout = 10s } }"
    echo "    topology { \"*\" = [[amm]] } }"
  fi
  if [ "$heur" = on ]; then
    # Two tries of 1 s: one late echo on a busy machine must not read as "gateway unreachable" (an answer ends the wait).
    echo "  heuristics { enabled = on, addresses = [\"10.213.1.254\"], interval = 500ms, timeout = 1s, attempts = 2 }"
  fi
  echo "}"
  [ -n "$extra" ] && echo "include \"$extra\""
  true
}

start_corosync() { # I
  local d; d=$(host_dir "$1")
  nohup ip netns exec "$(ns "$1")" unshare -m sh -c \
    'mount -t tmpfs tmpfs /run && mount --bind "$1" /var/lib/corosync && exec corosync -c "$2" -f' \
    sh "$d/corosync-lib" "$d/corosync.conf" </dev/null >"$d/corosync.out" 2>&1 &
  echo $! >"$d/corosync.pid"
}

start_daemon() { # I
  local d; d=$(host_dir "$1")
  ours "$(cat "$d/daemon.pid" 2>/dev/null || echo 0)" && die "host $1's daemon is already running"
  rm -f "$d/haven.sock"
  nohup ip netns exec "$(ns "$1")" dotnet "$dll" daemon --config "$d/haven.conf" </dev/null >"$d/daemon.out" 2>&1 &
  echo $! >"$d/daemon.pid"
}

wait_for() { # SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timed out after ${limit}s waiting for $what"
    sleep 0.2
  done
}

corosync_sees() { # I N
  ip netns exec "$(ns "$1")" corosync-quorumtool -s 2>/dev/null | grep -Eq "^Total votes: +$2\$"
}

cmd_up() {
  local n=${1:-}; shift || true
  [[ $n =~ ^[1-9]$ ]] || die "usage: up N (1..9) [--token MS] [--token-coefficient MS] [--stable-after DUR] [--heuristics] [--extra FILE] [--public A/NN] [--fence] [--bare] [--no-nodes]"
  local token=1000 coefficient=0 stable="" heur=off bare=off
  extra="" public="" fence=off nodes=on
  while [ $# -gt 0 ]; do
    case $1 in
      --token) token=${2:?}; [[ $token =~ ^[0-9]+$ ]] || die "--token wants milliseconds"; shift 2 ;;
      --token-coefficient) coefficient=${2:?}; [[ $coefficient =~ ^[0-9]+$ ]] || die "--token-coefficient wants milliseconds"; shift 2 ;;
      --stable-after) stable=${2:?}; [[ $stable =~ ^[0-9]+(ms|s)$ ]] || die "--stable-after wants e.g. 2s or 500ms"; shift 2 ;;
      --heuristics) heur=on; shift ;;
      --extra) extra=$(realpath "${2:?}"); shift 2 ;;
      --public) public=${2:?}; [[ $public =~ ^10\.213\.1\.[0-9]{1,3}/[0-9]{1,2}$ ]] || die "--public wants an address of the uplink 10.213.1.0/24, e.g. 10.213.1.100/24"; shift 2 ;;
      --fence) fence=on; shift ;;
      --fence-snmp) fence=snmp; shift ;;
      --bare) bare=on; shift ;;
      --no-nodes) nodes=off; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  require
  [ -e "$state" ] && die "run '$run' is already up ($state); run 'down' first"
  mkdir -p "$root"; chmod 700 "$root"
  mkdir -m 700 "$state"
  echo "$n" >"$state/hosts"
  # The network: two bridges in their own namespace: br0 (cluster link) and br1 (uplink with the gateway).
  ip netns add "$net" && echo "$net" >>"$state/namespaces"
  ip -n "$net" link set lo up
  ip -n "$net" link add br0 type bridge
  ip -n "$net" link add br1 type bridge
  ip -n "$net" addr add 10.213.1.254/24 dev br1
  ip -n "$net" link set br0 up
  ip -n "$net" link set br1 up
  local i d
  for i in $(seq "$n"); do
    d=$(host_dir "$i"); mkdir -m 700 "$d" "$d/corosync-lib"
    make_host_net "$i"
    corosync_conf "$n" "$token" "$coefficient" >"$d/corosync.conf"
    haven_conf "$i" "$n" "$stable" "$heur" >"$d/haven.conf"
    chmod 600 "$d/corosync.conf" "$d/haven.conf"
    [ "$bare" = on ] || start_corosync "$i"
  done
  [ -n "$public" ] && make_client
  [ "$fence" = off ] || make_power_switch
  [ "$fence" = on ] && make_fence_script "$n"
  [ "$fence" = snmp ] && make_snmp_fence "$n"
  [ "$bare" = on ] && { echo "up: $n bare hosts (network only), run $run, state $state"; return 0; }
  for i in $(seq "$n"); do wait_for 30 "corosync on host $i to see $n votes" corosync_sees "$i" "$n"; done
  for i in $(seq "$n"); do start_daemon "$i"; done
  for i in $(seq "$n"); do wait_for 60 "host $i's control socket" test -S "$(host_dir "$i")/haven.sock"; done
  echo "up: $n hosts, run $run, state $state"
}

make_host_net() { # I: host I's namespace, eth0 on the cluster bridge (10.213.0.I), eth1 on the uplink (10.213.1.I)
  local i=$1
  ip netns add "$(ns "$i")" && echo "$(ns "$i")" >>"$state/namespaces"
  ip -n "$(ns "$i")" link set lo up
  ip -n "$(ns "$i")" link add eth0 type veth peer name "c$i" netns "$net"
  ip -n "$(ns "$i")" link add eth1 type veth peer name "u$i" netns "$net"
  ip -n "$net" link set "c$i" master br0 up
  ip -n "$net" link set "u$i" master br1 up
  ip -n "$(ns "$i")" addr add "10.213.0.$i/24" dev eth0
  ip -n "$(ns "$i")" addr add "10.213.1.$i/24" dev eth1
  ip -n "$(ns "$i")" link set eth0 up
  ip -n "$(ns "$i")" link set eth1 up
}

# A new host I of a running cluster (up with --no-nodes: no haven.conf names the nodes): its namespace, its
# node block appended to every host's corosync.conf (the running corosyncs read it at `corosync-cfgtool -R`),
# its haven.conf made from host 1's, its corosync started. Its daemon is not: `start I` starts it.
add_host() { # I
  local i=$1 d h
  [[ $i =~ ^[1-9]$ ]] || die "host must be 1..9, got '$i'"
  [ -d "$state" ] || die "run '$run' is not up"
  [ -e "$(host_dir "$i")" ] && die "host $i exists already"
  grep -q 'nodes = \[' "$(host_dir 1)/haven.conf" && die "add-host needs a cluster made with --no-nodes (else haven.cluster.nodes would change on every host)"
  for h in "$state"/n[1-9]; do
    sed -i '$d' "$h/corosync.conf" # the nodelist's closing brace, the file's last line
    printf 'node {\nring0_addr: 10.213.0.%s\nnodeid: %s\nname: n%s\n}\n}\n' "$i" "$i" "$i" >>"$h/corosync.conf"
  done
  d=$(host_dir "$i"); mkdir -m 700 "$d" "$d/corosync-lib"
  make_host_net "$i"
  cp "$(host_dir 1)/corosync.conf" "$d/corosync.conf"
  sed -e "s#$(host_dir 1)/#$d/#g" -e "s#node-name = n1#node-name = n$i#" "$(host_dir 1)/haven.conf" >"$d/haven.conf"
  chmod 600 "$d/corosync.conf" "$d/haven.conf"
  [ "$i" -gt "$(cat "$state/hosts")" ] && echo "$i" >"$state/hosts"
  start_corosync "$i"
  echo "add-host: host $i, corosync started; run corosync-cfgtool -R on a host, then start $i"
}

# The client: namespace hv-RUN-cl, eth0 = 10.213.1.250/24 on br1 (the hosts' eth1 network).
make_client() {
  local c="hv-$run-cl"
  ip netns add "$c" && echo "$c" >>"$state/namespaces"
  ip -n "$c" link set lo up
  ip -n "$c" link add eth0 type veth peer name cl netns "$net"
  ip -n "$net" link set cl master br1 up
  ip -n "$c" addr add 10.213.1.250/24 dev eth0
  ip -n "$c" link set eth0 up
}

# The hosts' power switch, STATE/fence/power.sh I off|on: "off" takes both links of host I down at the
# bridge and kills its daemon and corosync and its process VMs, then verifies the links read down;
# "on" brings the links up. Every switch is appended to STATE/fence/power. The fence devices call it.
make_power_switch() {
  mkdir -p -m 700 "$state/fence"
  cat >"$state/fence/power.sh" <<SCRIPT
#!/usr/bin/env bash
# Generated by cluster.sh for run $run: switches host I of this run off or on.
set -u
i=\$1; verb=\$2
[[ \$i =~ ^[1-9]\$ ]] || { echo "bad host '\$i'"; exit 1; }
echo "\$(date +%s.%N) \$i \$verb" >>"$state/fence/power"
down() { ! ip -n "$net" -o link show "\$1\$i" | grep -q '[<,]UP[,>]'; }
case \$verb in
  off)
    ip -n "$net" link set "c\$i" down && ip -n "$net" link set "u\$i" down || exit 1
    for f in "$state/n\$i/daemon.pid" "$state/n\$i/corosync.pid"; do
      p=\$(cat "\$f" 2>/dev/null) || continue
      tr '\\0' ' ' <"/proc/\$p/cmdline" 2>/dev/null | grep -qF "$state/" && kill -KILL "\$p" 2>/dev/null
    done
    # Powered off, its VMs die with it: the process VMs of its state dir (pid and start time as recorded).
    for f in "$state/n\$i/vms/"*.json; do
      [ -f "\$f" ] || continue
      p=\$(sed -n 's/.*"Pid":\\([0-9]*\\).*/\\1/p' "\$f"); t=\$(sed -n 's/.*"StartTime":\\([0-9]*\\).*/\\1/p' "\$f")
      [ -n "\$p" ] && [ -r "/proc/\$p/stat" ] || continue
      s=\$(cat "/proc/\$p/stat" 2>/dev/null) || continue; s=\${s##*) }; set -- \$s
      [ "\${20:-}" = "\$t" ] && kill -KILL -- "-\$p" 2>/dev/null
    done
    down c && down u || { echo "links of host \$i still up"; exit 1; } ;;
  on) ip -n "$net" link set "c\$i" up && ip -n "$net" link set "u\$i" up ;;
  *) echo "unknown switch '\$verb'"; exit 1 ;;
esac
SCRIPT
  chmod 700 "$state/fence/power.sh"
}

# A script fence device (HA-Lizard's interface: NAME.sh HOST start|stop|reset, NAME.hosts host:address)
# standing in for a power switch: stop is power.sh off, start is power.sh on, reset is both.
make_fence_script() { # N
  local dir="$state/fence/e2e" i
  mkdir -p -m 700 "$dir"
  for i in $(seq "$1"); do echo "n$i:$i"; done >"$dir/e2e.hosts"
  cat >"$dir/e2e.sh" <<SCRIPT
#!/usr/bin/env bash
# Generated by cluster.sh for run $run: fences host HAVEN_FENCE_ADDRESS of this run.
set -u
i=\$HAVEN_FENCE_ADDRESS; verb=\$2
[[ \$i =~ ^[1-9]\$ ]] || { echo "bad host address '\$i'"; exit 1; }
echo "\$(date +%s.%N) \$1 \$verb" >>"$state/fence/calls"
case \$verb in
  stop) exec "$state/fence/power.sh" "\$i" off ;;
  reset) "$state/fence/power.sh" "\$i" off || exit 1; exec "$state/fence/power.sh" "\$i" on ;;
  start) exec "$state/fence/power.sh" "\$i" on ;;
  *) echo "unknown action '\$verb'"; exit 1 ;;
esac
SCRIPT
  chmod 700 "$dir/e2e.sh"
  echo "# the e2e script device needs no password" >"$state/fence/secrets.conf"
  chmod 600 "$state/fence/secrets.conf"
}

# An IBM BladeCenter AMM as the fence device: Debian's snmpd in the network namespace on
# 10.213.1.254:161 (the uplink bridge), serving tests/e2e/amm-emulator.py with one blade per host (n1..nN,
# all on); an off SET runs power.sh I off and the blade reads off once it has finished.
make_snmp_fence() { # N
  local dir="$state/fence" i
  command -v snmpd >/dev/null || die "snmpd is missing: apt-get install snmpd (or scripts/test-deps.sh)"
  python3 - "$1" "$dir/power.sh" >"$dir/amm.json" <<'PY'
import json, sys
n, hook = int(sys.argv[1]), sys.argv[2]
print(json.dumps({"sysdescr": "BladeCenter Advanced Management Module", "mode": "normal", "sets": [],
                  "blades": [{"name": f"n{i}", "power": 1} for i in range(1, n + 1)], "power_hook": [hook]}))
PY
  cat >"$dir/snmpd.conf" <<CONF
agentAddress udp:10.213.1.254:161
rwcommunity haven-e2e 10.213.1.0/24
pass_persist .1.3.6.1.2.1.1 $(command -v python3) -u $here/amm-emulator.py $dir/amm.json
pass_persist .1.3.6.1.4.1.2.3.51.2.22.1.6 $(command -v python3) -u $here/amm-emulator.py $dir/amm.json
CONF
  echo 'amm.community = "haven-e2e"' >"$dir/secrets.conf"
  chmod 600 "$dir/snmpd.conf" "$dir/secrets.conf"
  nohup ip netns exec "$net" env MIBS= SNMP_PERSISTENT_DIR="$dir/snmp-persist" "$(command -v snmpd)" -f -Lo -C -I -system_mib \
    -c "$dir/snmpd.conf" -p "$dir/snmpd.run.pid" </dev/null >"$dir/snmpd.out" 2>&1 &
  echo $! >"$state/snmpd.pid"
  wait_for 20 "snmpd to start (log: $dir/snmpd.out)" grep -q "NET-SNMP version" "$dir/snmpd.out"
  # snmpd starts each pass_persist script at the first request for its subtree: ask both now, so that
  # the first fence does not wait for two python starts (a real AMM answers at once).
  ip netns exec "$net" python3 - <<'PY' || die "the AMM emulator behind snmpd does not answer (log: $dir/snmpd.out)"
import socket, sys
def tlv(tag, body):
    n = len(body)
    return bytes([tag]) + (bytes([n]) if n < 128 else bytes([0x81, n])) + body
def oid(text):
    parts = [int(x) for x in text.strip(".").split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for x in parts[2:]:
        chunk = [x & 0x7F]
        while x > 0x7F:
            x >>= 7
            chunk.insert(0, 0x80 | (x & 0x7F))
        out += bytes(chunk)
    return tlv(0x06, out)
def request(pdu, reqid, name):  # SNMPv2c GetRequest (0xA0) / GetNextRequest (0xA1) for one OID
    varbinds = tlv(0x30, tlv(0x30, oid(name) + b"\x05\x00"))
    return tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, b"haven-e2e") + tlv(pdu, tlv(0x02, bytes([reqid])) + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + varbinds))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for pdu, reqid, name in [(0xA0, 1, ".1.3.6.1.2.1.1.1.0"), (0xA1, 2, ".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.6")]:
    for attempt in range(30):
        s.sendto(request(pdu, reqid, name), ("10.213.1.254", 161))
        try:
            if s.recv(1500):
                break
        except socket.timeout:
            pass
    else:
        sys.exit(1)
PY
}

cmd_down() {
  [ -d "$state" ] || { echo "down: nothing to do for run $run"; return 0; }
  local d
  for d in "$state"/n*; do
    [ -d "$d" ] || continue
    stop_pid "$d/daemon.pid"
    stop_pid "$d/corosync.pid"
    kill_vms "$d"
  done
  stop_pid "$state/snmpd.pid"
  if [ -f "$state/namespaces" ]; then
    tac "$state/namespaces" | while read -r name; do
      ip netns pids "$name" 2>/dev/null | while read -r p; do ours "$p" && kill -KILL "$p" 2>/dev/null || true; done
      ip netns del "$name" 2>/dev/null || true
    done
  fi
  rm -rf "$state"
  echo "down: run $run removed"
}

link() { # I PREFIX STATE
  need_host "$1"
  ip -n "$net" link set "$2$1" "$3"
}

cmd="${1:-}"; shift || true
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  cut) link "${1:?host}" c down ;;
  mend) link "${1:?host}" c up ;;
  uplink-cut) link "${1:?host}" u down ;;
  uplink-mend) link "${1:?host}" u up ;;
  crash) # links first: a crashed host sends nothing, not even corosync's PROCDOWN for its daemon
    need_host "${1:?host}"; p=$(cat "$(host_dir "$1")/daemon.pid"); ours "$p" || die "host $1's daemon is not running"
    link "$1" c down; link "$1" u down; kill -KILL "$p"; rm -f "$(host_dir "$1")/daemon.pid" ;;
  client) [ -d "$state" ] || die "run '$run' is not up"; ip netns list | grep -q "^hv-$run-cl\b" || die "no client namespace (up with --public)"; exec ip netns exec "hv-$run-cl" "$@" ;;
  holder) [[ ${1:-} =~ ^[0-9.]+$ ]] || die "usage: holder A.B.C.D"; for d in "$state"/n[1-9]; do i=${d##*/n}; ip -n "$(ns "$i")" -o -4 addr show dev eth1 | grep -q " inet $1/" && echo "$i"; done; true ;;
  mac) need_host "${1:?host}"; ip -n "$(ns "$1")" -o link show eth1 | sed -E 's/.*link\/ether ([0-9a-f:]+).*/\1/' ;;
  kill) need_host "${1:?host}"; p=$(cat "$(host_dir "$1")/daemon.pid"); ours "$p" || die "host $1's daemon is not running"; kill -KILL "$p"; rm -f "$(host_dir "$1")/daemon.pid" ;;
  corosync-stop) need_host "${1:?host}"; stop_pid "$(host_dir "$1")/corosync.pid" ;;
  corosync-start) need_host "${1:?host}"; start_corosync "$1" ;;
  add-host) add_host "${1:?host}" ;;
  start) need_host "${1:?host}"; start_daemon "$1"; wait_for 60 "host $1's control socket" test -S "$(host_dir "$1")/haven.sock" ;;
  haven) need_host "${1:?host}"; i=$1; shift; exec dotnet "$dll" "$@" --socket "$(host_dir "$i")/haven.sock" ;;
  exec) need_host "${1:?host}"; i=$1; shift; exec ip netns exec "$(ns "$i")" "$@" ;;
  info) echo "run $run"; echo "state $state"; [ -f "$state/hosts" ] && echo "hosts $(cat "$state/hosts")"; true ;;
  *) sed -n '2,30p' "$0" >&2; exit 2 ;;
esac
