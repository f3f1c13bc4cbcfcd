// Haven's read-only web view: fetches /api/*, follows /api/events/stream (server-sent events) and redraws.
// Bounded: at most MAX_EVENTS journal events are kept and MAX_ROWS drawn, however long the page stays open.
"use strict";

const MAX_EVENTS = 2000;
const MAX_ROWS = 300;
const HIDDEN = new Set(["events.delivered.v1"]); // delivery checkpoints: bookkeeping, not cluster history

const state = { cluster: null, ips: [], vms: [], fence: null, history: [], events: [], names: new Map(), selectedVm: null, source: null };

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

const badge = (text, cls) => el("span", { class: `badge ${cls || text}` }, text);

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// ---- pages -------------------------------------------------------------------------------------------------

function showPage() {
  const page = (location.hash || "#cluster").slice(1);
  for (const s of document.querySelectorAll(".page")) s.classList.toggle("active", s.id === `page-${page}`);
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page);
  if (page === "timeline") drawChart();
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function renderSummary() {
  const c = state.cluster;
  if (!c) return;
  $("#cluster-name").textContent = `${c.cluster} · seen from ${c.node}`;
  const up = c.members.filter((m) => m.state === "up").length;
  $("#summary").replaceChildren(
    badge(c.partition),
    badge(c.quorate ? "quorate" : "no quorum", c.quorate ? "ok" : "bad"),
    badge(`DC ${c.dc ?? "none"}`, "dc"),
    badge(`${up}/${c.members.length} up`, up === c.members.length ? "ok" : "bad"),
    badge(`${state.vms.filter((v) => v.state === "running").length}/${state.vms.length} VMs running`, "ok"),
  );
}

function renderHosts() {
  const c = state.cluster;
  if (!c) return;
  const cards = c.members.map((m) => {
    const ips = state.ips.filter((a) => a.node === m.name);
    const vms = state.vms.filter((v) => v.node === m.name);
    return el("article", { class: `host state-${m.state}`, "data-host": m.name },
      el("h3", {}, m.name, badge(m.state), m.name === c.dc ? badge("DC", "dc") : null, m.name === c.node ? el("span", { class: "self" }, "(this host)") : null),
      el("div", { class: "muted" }, `node ${m.id}`),
      ips.length || vms.length
        ? el("ul", {}, ips.map((a) => el("li", { class: "ip", "data-ip": a.address }, a.address)),
          vms.map((v) => el("li", { class: `vm ${v.state}`, "data-vm": v.name, title: v.state }, v.name)))
        : el("div", { class: "empty" }, "holds nothing"));
  });
  $("#hosts").replaceChildren(...cards);
  const nowhere = [...state.ips.filter((a) => !a.node).map((a) => a.address), ...state.vms.filter((v) => !v.node).map((v) => v.name)];
  $("#unplaced").textContent = nowhere.length ? `On no host: ${nowhere.join(", ")}` : "";
}

function renderVms() {
  fill($("#vms-table tbody"), state.vms.map((v) => {
    const tr = el("tr", { class: `pick${v.name === state.selectedVm ? " selected" : ""}`, "data-vm": v.name },
      el("td", {}, v.name), el("td", {}, badge(v.state)), el("td", {}, v.node ?? "—"), el("td", {}, v.desired),
      el("td", {}, v.ha ? "on" : "off"), el("td", {}, v.failedOn.length ? `${v.failedOn.length} (${v.failedOn.join(", ")})` : "0"),
      el("td", {}, v.reason || ""));
    tr.addEventListener("click", () => explain(v.name));
    return tr;
  }));
}

async function explain(name) {
  state.selectedVm = name;
  renderVms();
  try {
    const e = await api(`/api/vms/${encodeURIComponent(name)}/explain`);
    $("#explain").textContent = e.lines.join("\n");
    $("#explain").classList.remove("muted");
  } catch (err) {
    $("#explain").textContent = String(err);
  }
}

function renderIps() {
  fill($("#ips-table tbody"), state.ips.map((a) => el("tr", {},
    el("td", {}, a.address), el("td", {}, a.interface), el("td", {}, a.node ?? "—"), el("td", {}, badge(a.state)))));
}

function renderFencing() {
  const f = state.fence;
  if (!f) return;
  $("#fence-state").replaceChildren(f.enabled ? badge("fencing on", "ok") : badge("fencing off", "bad"), ` action ${f.action}`);
  fill($("#fence-devices tbody"), f.devices.map((d) => el("tr", {}, el("td", {}, d.name), el("td", {}, d.type), el("td", {}, d.address))));
  fill($("#fence-topology tbody"), f.topology.map((t) => el("tr", {}, el("td", {}, t.host), el("td", {}, t.levels.map((l, i) => `${i + 1}: ${l.join(" + ")}`).join("   ")))));
  fill($("#fence-history tbody"), state.history.slice(-MAX_ROWS).reverse().map((h) => el("tr", {},
    el("td", {}, time(h.at)), el("td", {}, h.node), el("td", {}, badge(h.kind)), el("td", {}, h.device ?? ""),
    el("td", {}, h.durationSeconds === null ? "" : `${h.durationSeconds.toFixed(3)} s`), el("td", {}, h.detail ?? h.reason ?? ""))));
}

// ---- journal and timeline ----------------------------------------------------------------------------------

function kind(type) {
  const t = type.replace(/^cluster\./, "").replace(/\.v\d+$/, "");
  if (/^(fence-|node-fenced)/.test(t) || type.startsWith("fence-history.")) return "fence";
  if (/^(takeip|releaseip|updateip)$/.test(t)) return "ip";
  if (t.startsWith("vm-")) return "vm";
  if (/^(startrecovery|recovered|ipreallocated|setting-|primary-formed|partition-demoted)/.test(t)) return "decision";
  if (/^(node-|dc-changed|heuristics)/.test(t)) return "membership";
  return "other";
}

const LANES = ["membership", "decision", "fence", "ip", "vm", "other"];

function nodeName(v) {
  if (typeof v === "string") return v; // already a name
  const id = typeof v === "object" && v !== null ? v.value : v;
  return state.names.get(id) ?? `node ${id}`;
}

function describe(e) {
  const t = e.type.replace(/^cluster\./, "").replace(/\.v\d+$/, "");
  const f = e.fields || {};
  const parts = [];
  for (const [k, v] of Object.entries(f)) {
    if (v === null || typeof v === "object" && !("value" in v)) continue;
    parts.push(/^(node|target|from|to|dc)$/i.test(k) ? `${k} ${nodeName(v)}` : `${k} ${v}`);
    if (parts.length >= 5) break;
  }
  return `${t}${parts.length ? ": " + parts.join(", ") : ""}`;
}

function time(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0").slice(0, 1);
}

function addEvents(list) {
  for (const e of list) {
    if (HIDDEN.has(e.type)) continue;
    if (state.events.length && e.ordering <= state.events[state.events.length - 1].ordering) continue;
    state.events.push(e);
  }
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

function renderJournal() {
  const shown = state.events.slice(-MAX_ROWS);
  const rows = [];
  for (let i = shown.length - 1; i >= 0; i--) {
    const e = shown[i];
    const prev = shown[i - 1];
    const delta = prev ? (Date.parse(e.timestamp) - Date.parse(prev.timestamp)) / 1000 : null;
    rows.push(el("li", { class: `k-${kind(e.type)}`, "data-type": e.type },
      el("span", {}, time(e.timestamp)), el("span", { class: "delta" }, delta === null ? "" : `+${delta.toFixed(1)} s`), el("span", { class: "what" }, describe(e))));
  }
  $("#journal").replaceChildren(...rows);
  if ($("#page-timeline").classList.contains("active")) drawChart();
}

function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// One lane per kind of event, time to scale on x: a failover reads as lost → fenced → taken → running, gaps as drawn.
function drawChart() {
  const span = Number($("#span").value);
  const events = state.events;
  const chart = $("#chart");
  if (!events.length) {
    chart.replaceChildren();
    $("#timeline-note").textContent = "no events yet";
    return;
  }
  // "fit" spans the kept events (a little margin on both sides); a fixed span ends now.
  const first = Date.parse(events[0].timestamp), last = Date.parse(events[events.length - 1].timestamp);
  const margin = Math.max((last - first) * 0.03, 500);
  const end = span > 0 ? Math.max(last, Date.now()) : last + margin;
  const start = span > 0 ? end - span * 1000 : first - margin;
  const inSpan = events.filter((e) => Date.parse(e.timestamp) >= start);
  const width = Math.max(chart.clientWidth || 600, 320);
  const left = 90, right = 12, laneH = 24, top = 8;
  const height = top + LANES.length * laneH + 28;
  const x = (t) => left + ((t - start) / Math.max(end - start, 1)) * (width - left - right);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "journal timeline" });
  LANES.forEach((lane, i) => {
    const y = top + i * laneH + laneH / 2;
    root.append(svg("line", { class: "lane", x1: left, x2: width - right, y1: y, y2: y }), svg("text", { x: 4, y: y + 4 }, lane));
  });
  const axisY = top + LANES.length * laneH + 14;
  for (let k = 0; k <= 4; k++) {
    const t = start + ((end - start) * k) / 4;
    root.append(svg("text", { x: Math.min(x(t), width - 60), y: axisY }, time(new Date(t).toISOString())));
  }
  let prev = null;
  for (const e of inSpan) {
    const t = Date.parse(e.timestamp);
    const lane = LANES.indexOf(kind(e.type));
    const dot = svg("circle", { class: `k-${LANES[lane]}`, cx: x(t), cy: top + lane * laneH + laneH / 2, r: 4 });
    dot.append(svg("title", {}, `${time(e.timestamp)} ${describe(e)}`));
    root.append(dot);
    if (prev !== null && t - prev > (end - start) / 8) // label the long quiet stretches with their length
      root.append(svg("text", { class: "gap", x: (x(prev) + x(t)) / 2 - 14, y: height - 2 }, `${((t - prev) / 1000).toFixed(1)} s`));
    prev = t;
  }
  chart.replaceChildren(root);
  $("#timeline-note").textContent = `${inSpan.length} events in view, ${state.events.length} kept (at most ${MAX_EVENTS})`;
}

// ---- loading and live updates ------------------------------------------------------------------------------

async function refresh() {
  try {
    const [cluster, ips, vms, fence, history] = await Promise.all([
      api("/api/cluster"), api("/api/ips"), api("/api/vms"), api("/api/fence"), api("/api/fence/history")]);
    Object.assign(state, { cluster, ips, vms, fence, history });
    state.names = new Map(cluster.members.map((m) => [m.id, m.name]));
    renderSummary(); renderHosts(); renderVms(); renderIps(); renderFencing();
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  } catch (err) {
    $("#summary").replaceChildren(badge(`cannot read the daemon: ${err.message}`, "bad"));
  }
}

let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(async () => { pending = null; await refresh(); }, 200);
}

function follow(after) {
  const source = new EventSource(`/api/events/stream?after=${after}`);
  state.source = source;
  source.addEventListener("open", () => { $("#live").textContent = "live"; $("#live").className = "live on"; });
  source.addEventListener("error", () => { $("#live").textContent = "reconnecting"; $("#live").className = "live off"; });
  source.addEventListener("journal", (m) => {
    addEvents([JSON.parse(m.data)]);
    renderJournal();
    refreshSoon();
  });
}

async function start() {
  window.addEventListener("hashchange", showPage);
  window.addEventListener("resize", () => { if ($("#page-timeline").classList.contains("active")) drawChart(); });
  $("#span").addEventListener("change", drawChart);
  showPage();
  await refresh();
  let after = 0;
  try {
    const tail = await api("/api/events?last=500");
    addEvents(tail);
    if (tail.length) after = tail[tail.length - 1].ordering;
    else after = 0;
  } catch (err) {
    $("#timeline-note").textContent = String(err);
  }
  renderJournal();
  follow(after);
}

start();
