#!/usr/bin/env python3
"""ARP prober for failover tests: run inside the client namespace.

Every INTERVAL it broadcasts one ARP request "who has TARGET" on IFACE and records every ARP reply
whose sender is TARGET, with a monotonic timestamp and the MAC that answered. Replies are attributed
to the probe interval in which they arrive. Stops on SIGTERM/SIGINT (or after --duration) and writes
a JSON summary to --summary (and stdout):

  start_epoch (wall clock at start, to line up with other logs), probes, answered (intervals with at least one reply), gap_ms (longest time between two consecutive
  replies), gap_from_ms / gap_to_ms (its ends, ms since start), macs (runs of the same answering
  MAC in order: mac, first_ms, last_ms, replies; the first 20, mac_runs counts all), conflicts (intervals in which two different MACs
  answered; must be 0 once fencing works), conflict_macs.

--log FILE gets one line per reply as it arrives ("T_MS MAC"), flushed, so a test can watch progress.
Only ARP replies (op 2) count: gratuitous announcements (op 1) and duplicate-address probes are ignored.
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
MAX_RUNS = 20  # runs listed in the summary; mac_runs counts them all (thousands when two MACs alternate)


def mac_text(raw):
    return ":".join(f"{b:02x}" for b in raw)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface", required=True)
    p.add_argument("--target", required=True, help="the floating IPv4 address")
    p.add_argument("--interval", type=float, default=0.01, help="seconds between requests (default 0.01)")
    p.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: until signalled)")
    p.add_argument("--summary", help="write the JSON summary here too")
    p.add_argument("--log", help="append one line per reply here")
    a = p.parse_args()
    if not 0.001 <= a.interval <= 1:
        sys.exit(f"arp-prober: --interval must be 0.001..1 s, got {a.interval}")
    try:
        target = socket.inet_aton(a.target)
    except OSError:
        sys.exit(f"arp-prober: --target is not an IPv4 address: {a.target!r}")

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    try:
        s.bind((a.iface, ETH_P_ARP))
    except OSError as e:
        sys.exit(f"arp-prober: cannot bind to interface {a.iface}: {e}")
    s.setblocking(False)
    own_mac = s.getsockname()[4][:6]
    own_ip = own_ipv4(a.iface)
    request = (b"\xff" * 6 + own_mac + struct.pack("!H", ETH_P_ARP)
               + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + own_mac + own_ip + b"\x00" * 6 + target)

    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log = open(a.log, "a", buffering=1) if a.log else None

    start = time.monotonic()
    start_epoch = time.time()
    probes = 0
    answered = 0
    conflicts = 0
    conflict_macs = set()
    runs = []  # [mac, first, last, count]
    last_reply = None
    gap = (0.0, None, None)
    interval_macs = set()
    next_probe = start
    while not stop:
        now = time.monotonic()
        if a.duration and now - start >= a.duration:
            break
        if now >= next_probe:
            if interval_macs:
                answered += 1
                if len(interval_macs) > 1:
                    conflicts += 1
                    conflict_macs.update(interval_macs)
            interval_macs = set()
            s.send(request)
            probes += 1
            next_probe += a.interval
            if next_probe < now:  # fell behind (CPU starved): do not burst
                next_probe = now + a.interval
        try:
            ready, _, _ = select.select([s], [], [], max(0.0, next_probe - time.monotonic()))
        except InterruptedError:
            continue
        if not ready:
            continue
        while True:
            try:
                frame = s.recv(128)
            except BlockingIOError:
                break
            t = (time.monotonic() - start) * 1000
            if len(frame) < 42:
                continue
            op = struct.unpack("!H", frame[20:22])[0]
            if op != 2 or frame[28:32] != target:
                continue
            mac = mac_text(frame[22:28])
            interval_macs.add(mac)
            if runs and runs[-1][0] == mac:
                runs[-1][2] = t
                runs[-1][3] += 1
            else:
                runs.append([mac, t, t, 1])
            if last_reply is not None and t - last_reply > gap[0]:
                gap = (t - last_reply, last_reply, t)
            last_reply = t
            if log:
                log.write(f"{t:.1f} {mac}\n")
    if interval_macs:
        answered += 1
        if len(interval_macs) > 1:
            conflicts += 1
            conflict_macs.update(interval_macs)

    summary = {
        "target": a.target,
        "interval_ms": a.interval * 1000,
        "start_epoch": round(start_epoch, 4),
        "duration_ms": round((time.monotonic() - start) * 1000, 1),
        "probes": probes,
        "answered": answered,
        "gap_ms": round(gap[0], 1),
        "gap_from_ms": None if gap[1] is None else round(gap[1], 1),
        "gap_to_ms": None if gap[2] is None else round(gap[2], 1),
        "macs": [{"mac": m, "first_ms": round(f, 1), "last_ms": round(l, 1), "replies": n} for m, f, l, n in runs[:MAX_RUNS]],
        "mac_runs": len(runs),
        "conflicts": conflicts,
        "conflict_macs": sorted(conflict_macs),
    }
    text = json.dumps(summary)
    if a.summary:
        tmp = a.summary + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, a.summary)
    print(text, flush=True)


def own_ipv4(iface):
    """The interface's IPv4 address (SIOCGIFADDR), or 0.0.0.0 when it has none."""
    import fcntl
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        return fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", iface.encode()[:15]))[20:24]
    except OSError:
        return b"\x00" * 4
    finally:
        probe.close()


if __name__ == "__main__":
    main()
