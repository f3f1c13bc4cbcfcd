"""A small builder of Pacemaker CIBs for the cases here: nodes (N), primitives (R), operation history (started, op)."""
import hashlib, sys
from xml.sax.saxutils import quoteattr as q

def digest(params):
    inner = "".join(f" {k}={q(v)}" for k, v in sorted(params.items()))
    return hashlib.md5(f' <parameters{inner}/>\n'.encode()).hexdigest()

def cib(nodes, rscs, cons="", props=None, defaults=None, status=None, execution_date=None, quorum=True, validate="pacemaker-3.9", locks=None):
    """nodes: [(name, {attrs}, {util}, state)] state in member|lost|down|none|crmd-off ;
    rscs: [(id, cls, {meta}, {util}, {params}, ops_xml)]; status: {node: [(rsc, op, rc, interval, call, target_rc, op_status, extra)]} ;
    transient: {node: {attr: val}}; locks: {node: {rsc: epoch}} (the shutdown-lock attribute of lrm_resource)"""
    props = {"stonith-enabled": "true", **(props or {})}
    o = [f'<cib crm_feature_set="3.16.2" validate-with="{validate}" epoch="1" num_updates="0" admin_epoch="0" have-quorum="{1 if quorum else 0}" dc-uuid="1"'
         + (f' execution-date="{execution_date}"' if execution_date else '') + '>']
    o.append('<configuration><crm_config><cluster_property_set id="opts">')
    for k, v in props.items(): o.append(f'<nvpair id="opts-{k}" name="{k}" value="{v}"/>')
    o.append('</cluster_property_set></crm_config><nodes>')
    for i, (n, attrs, util, _, _t) in enumerate(nodes, 1):
        o.append(f'<node id="{i}" uname="{n}">')
        if attrs: o.append(f'<instance_attributes id="{n}-ia">' + "".join(f'<nvpair id="{n}-ia-{k}" name="{k}" value="{v}"/>' for k, v in attrs.items()) + '</instance_attributes>')
        if util: o.append(f'<utilization id="{n}-u">' + "".join(f'<nvpair id="{n}-u-{k}" name="{k}" value="{v}"/>' for k, v in util.items()) + '</utilization>')
        o.append('</node>')
    o.append('</nodes><resources>')
    params_of = {}
    for (rid, cls, meta, util, params, ops) in rscs:
        params_of[rid] = params
        typ = 'class="stonith" type="fence_dummy"' if cls == "stonith" else 'class="ocf" provider="pacemaker" type="Dummy"'
        o.append(f'<primitive id="{rid}" {typ}>')
        if params: o.append(f'<instance_attributes id="{rid}-ia">' + "".join(f'<nvpair id="{rid}-ia-{k}" name="{k}" value="{v}"/>' for k, v in params.items()) + '</instance_attributes>')
        if meta: o.append(f'<meta_attributes id="{rid}-ma">' + "".join(f'<nvpair id="{rid}-ma-{k}" name="{k}" value="{v}"/>' for k, v in meta.items()) + '</meta_attributes>')
        if util: o.append(f'<utilization id="{rid}-u">' + "".join(f'<nvpair id="{rid}-u-{k}" name="{k}" value="{v}"/>' for k, v in util.items()) + '</utilization>')
        if ops: o.append(f'<operations>{ops}</operations>')
        o.append('</primitive>')
    o.append(f'</resources><constraints>{cons}</constraints>')
    if defaults: o.append('<rsc_defaults><meta_attributes id="rd">' + "".join(f'<nvpair id="rd-{k}" name="{k}" value="{v}"/>' for k, v in defaults.items()) + '</meta_attributes></rsc_defaults>')
    o.append('</configuration><status>')
    for i, (n, _, _, state, transient) in enumerate(nodes, 1):
        st = {"member": 'in_ccm="true" crmd="online" join="member" expected="member"',
              "lost": 'in_ccm="false" crmd="offline" join="down" expected="member"',
              "down": 'in_ccm="false" crmd="offline" join="down" expected="down"',
              "crmd-off": 'in_ccm="true" crmd="offline" join="down" expected="member"'}.get(state)
        if st is None: continue
        o.append(f'<node_state id="{i}" uname="{n}" {st} crm-debug-origin="x">')
        if transient:
            o.append(f'<transient_attributes id="{i}"><instance_attributes id="status-{i}">' + "".join(f'<nvpair id="status-{i}-{k}" name="{k}" value="{v}"/>' for k, v in transient.items()) + '</instance_attributes></transient_attributes>')
        o.append(f'<lrm id="{i}"><lrm_resources>')
        by = {}
        for h in (status or {}).get(n, []): by.setdefault(h[0], []).append(h)
        for rid, hs in by.items():
            cls = next(r[1] for r in rscs if r[0] == rid) if any(r[0] == rid for r in rscs) else "ocf"
            typ = 'class="stonith" type="fence_dummy"' if cls == "stonith" else 'class="ocf" provider="pacemaker" type="Dummy"'
            lock = (locks or {}).get(n, {}).get(rid)
            o.append(f'<lrm_resource id="{rid}" {typ}' + (f' shutdown-lock="{lock}"' if lock is not None else '') + '>')
            for (r, op, rc, interval, call, target, ost, extra) in hs:
                key = f'{r}_{op}_{interval}'
                o.append(f'<lrm_rsc_op id="{key}-{call}" operation_key="{key}" operation="{op}" crm-debug-origin="x" crm_feature_set="3.16.2" transition-key="1:1:{target}:x" transition-magic="{ost}:{rc};1:1:{target}:x" call-id="{call}" rc-code="{rc}" op-status="{ost}" interval="{interval}" exec-time="1" queue-time="0" op-digest="{digest(params_of.get(rid, {}))}" {extra}/>')
            o.append('</lrm_resource>')
        o.append('</lrm_resources></lrm></node_state>')
    o.append('</status></cib>')
    return "\n".join(o)

def N(name, state="member", attrs=None, util=None, transient=None): return (name, attrs or {}, util or {}, state, transient or {})
def R(rid, cls="ocf", meta=None, util=None, params=None, ops=""): return (rid, cls, meta or {}, util or {}, params or {}, ops)
def started(r, call=2): return (r, "start", 0, 0, call, 0, 0, "")
def op(r, o, rc, interval=0, call=3, target=0, status=0, extra=""): return (r, o, rc, interval, call, target, status, extra)
