from cibkit import *
"""Writes the CIB cases of this folder (python3 gen_cases.py, run here). See README.md."""
F = [R("fence", "stonith")]
fs = lambda *more: [started("fence", 1)] + list(more)
C = {}
C["lost-node-fenced"] = cib([N("node1"), N("node2"), N("node3", "lost")],
    F + [R("r3", meta={"allow-migrate": "true"}), R("r4")], status={"node1": fs(), "node3": [started("r3"), started("r4")]})
C["unclean-nodes"] = cib([N("node1"), N("node2", "lost"), N("node3", "none"), N("node4", "crmd-off"), N("node5", "down")],
    F + [R("r1")], status={"node1": fs(started("r1"))})
C["scores"] = cib([N("node1"), N("node2"), N("node3")],
    F + [R("neg"), R("dec"), R("inf"), R("banned"), R("ghost"), R("allneg")],
    cons='<rsc_location id="l1" rsc="neg" node="node1" score="-1"/>'
         '<rsc_location id="l2" rsc="dec" node="node2" score="1.9"/><rsc_location id="l2b" rsc="dec" node="node3" score="2"/>'
         '<rsc_location id="l3" rsc="inf" node="node2" score="+INFINITY"/><rsc_location id="l3b" rsc="inf" node="node3" score="5000"/>'
         '<rsc_location id="l4" rsc="banned" node="node3" score="-INFINITY"/><rsc_location id="l4b" rsc="banned" node="node2" score="-INFINITY"/>'
         '<rsc_location id="l5" rsc="ghost" node="node9" score="100"/><rsc_location id="l6" rsc="nosuch" node="node1" score="100"/>'
         '<rsc_location id="l7" rsc="fence" node="node1" score="-INFINITY"/>'
         '<rsc_location id="l8" rsc="allneg" node="node1" score="-1"/><rsc_location id="l8b" rsc="allneg" node="node2" score="-2"/><rsc_location id="l8c" rsc="allneg" node="node3" score="-3.5"/>',
    status={"node1": fs(started("neg"))}, validate="none")
C["ties-fewest-resources"] = cib([N("node1"), N("node2"), N("node3")],
    F + [R("a1"), R("a2"), R("a3"), R("a4"), R("a5"), R("run1")], status={"node1": fs(), "node2": [started("run1")]})
C["stickiness"] = cib([N("node1"), N("node2")],
    F + [R("stays"), R("leaves"), R("own", meta={"resource-stickiness": "0"})], defaults={"resource-stickiness": "100"},
    cons='<rsc_location id="l1" rsc="stays" node="node2" score="50"/><rsc_location id="l2" rsc="leaves" node="node2" score="200"/><rsc_location id="l3" rsc="own" node="node2" score="10"/>',
    status={"node1": fs(started("stays"), started("leaves"), started("own"))})
C["standby-maintenance"] = cib([N("node1"), N("node2", attrs={"standby": "on"}), N("node3", attrs={"maintenance": "true"}), N("node4", transient={"standby": "true"})],
    F + [R("on-standby"), R("on-maint"), R("on-maint-stopped", meta={"target-role": "Stopped"}), R("on-transient"), R("new")],
    status={"node1": fs(), "node2": [started("on-standby")], "node3": [started("on-maint"), started("on-maint-stopped")], "node4": [started("on-transient")]})
C["unmanaged"] = cib([N("node1"), N("node2")],
    F + [R("frozen", meta={"is-managed": "false", "target-role": "Stopped"}), R("maint", meta={"maintenance": "true"}), R("banned-unmanaged", meta={"is-managed": "false"}), R("normal", meta={"target-role": "Stopped"})],
    cons='<rsc_location id="l1" rsc="banned-unmanaged" node="node2" score="-INFINITY"/><rsc_location id="l2" rsc="maint" node="node1" score="100"/>',
    status={"node1": fs(started("normal")), "node2": [started("frozen"), started("maint"), started("banned-unmanaged")]})
C["maintenance-mode"] = cib([N("node1"), N("node2", "lost")], F + [R("r1"), R("r2"), R("r3", meta={"target-role": "Stopped"})],
    props={"maintenance-mode": "true"}, status={"node1": fs(started("r3"))})
C["failed-operations"] = cib([N("node1"), N("node2"), N("node3")],
    F + [R("mon-not-running"), R("mon-generic"), R("mon-not-installed"), R("mon-perm"), R("mon-not-configured"), R("stop-failed"), R("start-failed")],
    defaults={"resource-stickiness": "1"},
    status={"node1": fs(started("mon-not-running"), op("mon-not-running", "monitor", 7, 10000, 4),
                        started("mon-generic"), op("mon-generic", "monitor", 1, 10000, 4),
                        started("mon-not-installed"), op("mon-not-installed", "monitor", 5, 10000, 4),
                        started("mon-perm"), op("mon-perm", "monitor", 4, 10000, 4),
                        started("mon-not-configured"), op("mon-not-configured", "monitor", 6, 10000, 4),
                        op("start-failed", "start", 1, 0, 3)),
            "node3": [started("stop-failed"), op("stop-failed", "stop", 1, 0, 3)]})
C["fail-count-threshold"] = cib([N("node1", transient={"fail-count-reached#monitor_10000": "3", "last-failure-reached#monitor_10000": "1700000000",
                                                      "fail-count-below#monitor_10000": "2", "last-failure-below#monitor_10000": "1700000000",
                                                      "fail-count-expired#monitor_10000": "9", "last-failure-expired#monitor_10000": "1700000000",
                                                      "fail-count-fresh#monitor_10000": "9", "last-failure-fresh#monitor_10000": "1700000000",
                                                      "fail-count-startfail#start_0": "INFINITY", "last-failure-startfail#start_0": "1700000000",
                                                      "fail-count-nothreshold#monitor_10000": "50", "last-failure-nothreshold#monitor_10000": "1700000000"}), N("node2")],
    F + [R("reached", meta={"migration-threshold": "3"}), R("below", meta={"migration-threshold": "3"}),
         R("expired", meta={"migration-threshold": "1", "failure-timeout": "60s"}), R("fresh", meta={"migration-threshold": "1", "failure-timeout": "10min"}),
         R("startfail"), R("nothreshold", meta={"migration-threshold": "0"})],
    defaults={"resource-stickiness": "1"}, execution_date="1700000300",
    status={"node1": fs(*[started(r) for r in ["reached", "below", "expired", "fresh", "startfail", "nothreshold"]])})
C["on-fail"] = cib([N("node1"), N("node2"), N("node3")],
    F + [R("of-stop", ops='<op id="of-stop-m" name="monitor" interval="10s" on-fail="stop"/>'),
         R("of-ignore", ops='<op id="of-ignore-m" name="monitor" interval="10s" on-fail="ignore"/>'),
         R("of-block", ops='<op id="of-block-m" name="monitor" interval="10s" on-fail="block"/>'),
         R("of-restart", ops='<op id="of-restart-m" name="monitor" interval="10s" on-fail="restart"/>'),
         R("of-standby", ops='<op id="of-standby-m" name="monitor" interval="10s" on-fail="standby"/>'), R("neighbour"),
         R("of-fence", ops='<op id="of-fence-m" name="monitor" interval="10s" on-fail="fence"/>'), R("fence-neighbour")],
    defaults={"resource-stickiness": "1"},
    status={"node1": fs(*sum([[started(r), op(r, "monitor", 1, 10000, 4)] for r in ["of-stop", "of-ignore", "of-block", "of-restart"]], [])),
            "node2": [started("of-standby"), op("of-standby", "monitor", 1, 10000, 4), started("neighbour")],
            "node3": [started("of-fence"), op("of-fence", "monitor", 1, 10000, 4), started("fence-neighbour")]})
C["multiply-active"] = cib([N("node1"), N("node2"), N("node3")],
    F + [R("stays-first"), R("moves"), R("blocked", meta={"multiple-active": "block"})],
    defaults={"resource-stickiness": "1"},
    cons='<rsc_location id="l1" rsc="stays-first" node="node1" score="50"/><rsc_location id="l2" rsc="moves" node="node3" score="50"/>',
    status={"node1": fs(started("stays-first"), started("moves"), started("blocked")),
            "node2": [started("stays-first"), started("moves"), started("blocked")]})
C["stonith-disabled"] = cib([N("node1"), N("node2", "lost")], [R("r1"), R("r2")], props={"stonith-enabled": "false"},
    status={"node1": [started("r1")], "node2": [started("r2")]})
C["utilization-priority"] = cib([N("node1", util={"cpu": "4", "memory": "4096"}), N("node2", util={"cpu": "4", "memory": "4096"})],
    [R("low", util={"cpu": "3", "memory": "1024"}), R("high", util={"cpu": "3", "memory": "1024"}, meta={"priority": "10"}),
     R("mid", util={"cpu": "2", "memory": "1024"}, meta={"priority": "5"}), R("small", util={"cpu": "1", "memory": "512"})],
    props={"placement-strategy": "utilization", "stonith-enabled": "false"}, defaults={"resource-stickiness": "100"},
    status={"node1": [started("low")], "node2": [started("mid")]})
C["migrate-live"] = cib([N("node1"), N("node2"), N("node3", "lost")],
    F + [R("live", meta={"allow-migrate": "true"}), R("cold"), R("from-lost", meta={"allow-migrate": "true"})],
    cons='<rsc_location id="l1" rsc="live" node="node2" score="100"/><rsc_location id="l2" rsc="cold" node="node2" score="100"/>',
    status={"node1": fs(started("live"), started("cold")), "node3": [started("from-lost")]})
# no-quorum-policy (have-quorum="0"): every resource probed everywhere, so that only the policy's own actions show
probe = lambda r: op(r, "monitor", 7, 0, 1, 7)
for policy in ["stop", "freeze", "ignore", "demote", "suicide"]:
    C[f"no-quorum-{policy}"] = cib([N("node1"), N("node2"), N("node3", "lost")],
        F + [R("r1"), R("r2"), R("r3", meta={"target-role": "Stopped"}), R("r4")], props={"no-quorum-policy": policy}, quorum=False,
        cons='<rsc_location id="l1" rsc="r2" node="node1" score="-INFINITY"/>',
        status={"node1": [started("fence", 1), started("r1"), started("r2"), probe("r3"), probe("r4")],
                "node2": [started("r3"), probe("fence"), probe("r1"), probe("r2"), probe("r4")]})
# shutdown-lock: node2 shut down cleanly (its stopped resource carries the lrm_resource shutdown-lock epoch), node3 is shutting
# down now (transient attribute shutdown): locked resources are started nowhere else; one stopped there without a lock starts
stopped = lambda r, call=3: op(r, "stop", 0, 0, call)
C["shutdown-lock"] = cib([N("node1"), N("node2", "down"), N("node3", transient={"shutdown": "1700000000"})],
    F + [R("locked"), R("elsewhere"), R("going"), R("nolock")],
    props={"shutdown-lock": "true"}, execution_date="1700000100",
    status={"node1": fs(started("elsewhere")), "node2": [started("locked"), stopped("locked"), started("nolock"), stopped("nolock")],
            "node3": [started("going")]},
    locks={"node2": {"locked": "1700000000"}})
C["shutdown-lock-limit"] = cib([N("node1"), N("node2", "down")],
    F + [R("fresh"), R("expired")],
    props={"shutdown-lock": "true", "shutdown-lock-limit": "30min"}, execution_date="1700003000",
    status={"node1": fs(), "node2": [started("fresh"), stopped("fresh"), started("expired"), stopped("expired")]},
    locks={"node2": {"fresh": "1700002000", "expired": "1700000000"}})
C["shutdown-lock-off"] = cib([N("node1"), N("node2", "down"), N("node3", transient={"shutdown": "1700000000"})],
    F + [R("locked"), R("going")], execution_date="1700000100",
    status={"node1": fs(), "node2": [started("locked"), stopped("locked")], "node3": [started("going")]},
    locks={"node2": {"locked": "1700000000"}})
C["shutdown-lock-back"] = cib([N("node1"), N("node2")],
    F + [R("back"), R("cleaned")], props={"shutdown-lock": "true"}, execution_date="1700000100",
    cons='<rsc_location id="l1" rsc="back" node="node1" score="100"/><rsc_location id="l2" rsc="cleaned" node="node1" score="100"/>',
    status={"node1": fs(), "node2": [started("back"), stopped("back"), started("cleaned"), stopped("cleaned")]},
    locks={"node2": {"back": "1700000000"}})
for name, xml in C.items():
    open(f"{name}.xml", "w").write(xml + "\n")
