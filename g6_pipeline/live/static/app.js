// G6 live dashboard: renders the /events stream. Every value goes in through textContent, never as HTML.
"use strict";

(function () {
  const DASH = "-";
  const state = { status: null, panels: {}, staleAfter: 180, heartbeat: 15, lastMessage: 0 };
  let source = null;
  let retryDelay = 1000;
  let retryTimer = null;

  const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Kolkata", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hour12: false });

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const N = window.G6Numbers;
  const num = (value, digits) => N.number(value, digits);
  const signed = (value, digits) => N.number(value, digits, true);
  const pct = (value) => N.percent(value, 1);

  function hhmm(iso) {
    const d = new Date(iso);
    return isNaN(d) ? DASH : timeFmt.format(d).slice(0, 5);
  }

  function age(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return DASH;
    const s = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
    return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
  }

  function panel(name) {
    const doc = state.panels[name];
    return doc && typeof doc.data === "object" && doc.data !== null ? doc.data : null;
  }

  // A line over the history window, x by time; a gap of more than 90 s (a missed minute) breaks the line.
  function sparkline(history, key, windowMinutes) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 100 30");
    svg.setAttribute("preserveAspectRatio", "none");
    const pts = history
      .map((p) => [new Date(p.t).getTime(), p[key]])
      .filter(([t, v]) => !isNaN(t) && typeof v === "number" && isFinite(v));
    if (pts.length === 0) return svg;
    const end = pts[pts.length - 1][0];
    const span = windowMinutes * 60000;
    const lo = Math.min(...pts.map((p) => p[1]));
    const range = Math.max(...pts.map((p) => p[1])) - lo || 1;
    let line = [];
    let last = null;
    const flush = () => {
      if (line.length === 1) line.push([line[0][0] + 1.5, line[0][1]]);
      if (line.length > 1) {
        const poly = document.createElementNS(ns, "polyline");
        poly.setAttribute("points", line.map(([x, y]) => x.toFixed(2) + "," + y.toFixed(2)).join(" "));
        svg.appendChild(poly);
      }
      line = [];
    };
    pts.forEach(([t, v]) => {
      if (last !== null && t - last > 90000) flush();
      line.push([Math.max(0, 100 - ((end - t) / span) * 100), 28 - ((v - lo) / range) * 26]);
      last = t;
    });
    flush();
    return svg;
  }

  function row(dl, label, value) {
    dl.appendChild(el("dt", "", label));
    dl.appendChild(el("dd", "", value));
  }

  function indexRows() {
    const fromPanel = panel("indices");
    if (fromPanel && Array.isArray(fromPanel.indices)) return fromPanel.indices;
    const status = state.status;
    if (!status || typeof status.indices !== "object") return [];
    const order = Array.isArray(status.index_order) ? status.index_order : Object.keys(status.indices);
    return order.map((name) => Object.assign({ index: name }, status.indices[name]));
  }

  // With many underlyings the cards stay one screen: problems first, then in collection order, at most
  // CARD_LIMIT of them, narrowed by the filter box (a name or a status), which shows itself when needed.
  const CARD_LIMIT = 24;
  const STATUS_RANK = { failed: 0, skipped: 1, stale: 2, degraded: 3, closed: 4, ok: 5 };

  function cardRows() {
    const rows = indexRows();
    const box = document.getElementById("cards-filter");
    const needle = box ? box.value.trim().toLowerCase() : "";
    const matched = rows.map((r, i) => [r, i]).filter(([r]) => !needle ||
      String(r.index).toLowerCase().includes(needle) || String(r.status) === needle);
    if (rows.length > CARD_LIMIT) {
      matched.sort((a, b) => ((STATUS_RANK[a[0].status] ?? 6) - (STATUS_RANK[b[0].status] ?? 6)) || a[1] - b[1]);
    }
    const shown = matched.slice(0, CARD_LIMIT).map(([r]) => r);
    const bar = document.getElementById("cards-bar");
    if (bar) {
      bar.hidden = rows.length <= CARD_LIMIT && !needle;
      document.getElementById("cards-note").textContent = "showing " + shown.length + " of " + matched.length +
        (needle ? " matching" : "") + " (" + rows.length + " underlyings, problems first)";
    }
    return shown;
  }

  function renderCards() {
    const analytics = {};
    const data = panel("analytics");
    ((data && data.indices) || []).forEach((item) => { analytics[item.index] = item; });
    const cards = document.getElementById("cards");
    cards.replaceChildren();
    cardRows().forEach((ix) => {
      const a = analytics[ix.index] || {};
      const near = (a.expiries && a.expiries[0]) || {};
      const card = el("article", "card");
      card.dataset.index = String(ix.index);
      const title = el("h3");
      title.appendChild(el("span", "name", ix.index));
      title.appendChild(el("span", "status status-" + String(ix.status), ix.status));
      card.appendChild(title);
      card.appendChild(el("div", "ltp", num(ix.ltp, 2)));
      const dl = el("dl");
      row(dl, "day change", signed(ix.day_change, 2));
      row(dl, "age", age(ix.last_good_at));
      row(dl, "legs", String(ix.legs_collected ?? DASH) + "/" + String(ix.legs_expected ?? DASH));
      row(dl, "expiry", near.tag || DASH);
      row(dl, "PCR", num(near.pcr, 2));
      row(dl, "ATM IV", pct(near.atm_iv));
      const ranked = N.isNum(near.iv_rank) || N.isNum(near.iv_percentile);
      const closes = near.iv_history_source ? near.iv_history_source + " " : "";
      row(dl, "IV rank/pct", ranked ? (num(near.iv_rank, 0) + "/" + num(near.iv_percentile, 0) + " " + closes).trim()
        : N.isNum(near.iv_history) && near.iv_history > 0
          ? DASH + " (" + near.iv_history + " " + closes + (near.iv_history === 1 ? "close)" : "closes)") : DASH);
      row(dl, "GEX ₹cr/1%", N.isNum(near.gex) ? signed(near.gex / 1e7, 1) : DASH);
      row(dl, "max pain", num(near.max_pain, 0) + " (" + signed(near.max_pain_distance, 0) + ")");
      row(dl, "straddle", num(near.straddle, 2) + " (" + signed(near.straddle_day_change, 2) + ")");
      card.appendChild(dl);
      const history = Array.isArray(a.history) ? a.history : [];
      [["straddle", "straddle 60m"], ["pcr", "PCR 60m"]].forEach(([key, label]) => {
        const line = el("div", "spark spark-" + key);
        line.appendChild(el("span", "", label));
        line.appendChild(sparkline(history, key, (data && data.window_minutes) || 60));
        card.appendChild(line);
      });
      if (ix.error) card.appendChild(el("div", "note", ix.error));
      cards.appendChild(card);
    });
  }

  function renderAlerts() {
    const data = panel("alerts");
    const alerts = (data && data.alerts) || (state.status && state.status.alerts) || [];
    const list = document.getElementById("alert-list");
    list.replaceChildren();
    document.getElementById("alert-count").textContent = "(" + alerts.length + ")";
    if (alerts.length === 0) list.appendChild(el("li", "muted", state.status ? "none" : "no data yet"));
    alerts.forEach((a) => {
      const item = el("li", "sev-" + String(a.severity));
      item.appendChild(el("strong", "", "[" + a.severity + "] "));
      item.appendChild(document.createTextNode(String(a.message)));
      list.appendChild(item);
    });
  }

  function renderStorage() {
    const data = panel("storage");
    const body = document.getElementById("storage-rows");
    body.replaceChildren();
    const sinks = (data && data.sinks) || [];
    if (sinks.length === 0) {
      const tr = el("tr");
      tr.appendChild(el("td", "muted", data ? "no sinks reported" : "no data yet"));
      body.appendChild(tr);
    }
    sinks.forEach((s) => {
      const tr = el("tr");
      tr.appendChild(el("td", "", s.sink));
      tr.appendChild(el("td", s.ok ? "status-ok" : "status-failed", s.ok ? "ok" : "failed"));
      tr.appendChild(el("td", "", s.ok ? num(s.rows, 0) + " rows" : s.error));
      tr.appendChild(el("td", "", s.ok ? num(s.seconds, 2) + " s" : "last ok " + (s.last_ok_at ? hhmm(s.last_ok_at) : "never")));
      body.appendChild(tr);
    });
  }

  function renderHealth() {
    const data = panel("health");
    const dl = document.getElementById("health-list");
    dl.replaceChildren();
    if (!data) { row(dl, "status", "no data yet"); return; }
    const p = data.provider || {};
    row(dl, "provider", String(p.name ?? DASH) + " (" + String(p.health ?? DASH) + ")");
    row(dl, "token", p.token_state ?? DASH);
    row(dl, "circuit", p.circuit ?? DASH);
    row(dl, "success rate", pct(data.success_rate));
    row(dl, "cycle time", num(data.duration_seconds, 1) + " s");
    row(dl, "options / min", num(data.options_per_minute, 0));
    row(dl, "API success", pct(p.api_success_rate));
    row(dl, "API latency", num(p.latency_ms_avg, 0) + " ms");
  }

  // "simulated" whenever the configured provider or the last cycle's is a simulated market
  function showSimulated(fromStatus) {
    const on = fromStatus || document.documentElement.dataset.simulated === "true";
    const badge = document.getElementById("simulated");
    badge.hidden = !on;
  }

  function renderHeader() {
    showSimulated(false);
    const status = state.status;
    const fresh = document.getElementById("freshness");
    const line = document.getElementById("cycle-line");
    if (!status) {
      fresh.textContent = "no data yet";
      fresh.className = "badge none";
      line.textContent = "";
      return;
    }
    const generated = new Date(status.generated_at);
    const stale = isNaN(generated) || (Date.now() - generated.getTime()) / 1000 > state.staleAfter;
    fresh.textContent = stale ? "stale since " + hhmm(status.generated_at) : "live, " + timeFmt.format(generated);
    fresh.className = "badge " + (stale ? "stale" : "live");
    const p = status.provider || {};
    showSimulated(p.simulated === true);
    line.textContent = "cycle " + String(status.cycle ?? DASH) + " · " + String(p.name ?? DASH) +
      " (" + String(p.health ?? DASH) + ") · token " + String(p.token_state ?? DASH) +
      " · circuit " + String(p.circuit ?? DASH);
  }

  function render() {
    renderHeader();
    renderAlerts();
    renderCards();
    renderStorage();
    renderHealth();
  }

  function setConnection(text, cls) {
    const node = document.getElementById("connection");
    node.textContent = text;
    node.className = "badge " + cls;
  }

  function parse(event) {
    state.lastMessage = Date.now();
    try { return JSON.parse(event.data); } catch (err) { return null; }
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    setConnection("reconnecting", "stale");
    retryTimer = setTimeout(() => { retryTimer = null; connect(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function connect() {
    if (source) source.close();
    const token = new URLSearchParams(window.location.search).get("token");
    source = new EventSource("/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
    state.lastMessage = Date.now();
    source.addEventListener("hello", (e) => {
      const hello = parse(e) || {};
      if (typeof hello.stale_after_seconds === "number") state.staleAfter = hello.stale_after_seconds;
      if (typeof hello.heartbeat_seconds === "number") state.heartbeat = hello.heartbeat_seconds;
      retryDelay = 1000;
      setConnection("connected", "live");
    });
    source.addEventListener("full_snapshot", (e) => {
      const snap = parse(e);
      if (!snap) return;
      state.status = snap.status || null;
      state.panels = snap.panels || {};
      render();
      window.dispatchEvent(new CustomEvent("g6-status", { detail: state.status }));
    });
    source.addEventListener("status", (e) => {
      const status = parse(e);
      if (status) { state.status = status; render(); window.dispatchEvent(new CustomEvent("g6-status", { detail: status })); }
    });
    source.addEventListener("panel_update", (e) => {
      const doc = parse(e);
      if (doc && typeof doc.panel === "string") { state.panels[doc.panel] = doc; render(); }
    });
    source.addEventListener("heartbeat", (e) => { parse(e); renderHeader(); });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) { source.close(); scheduleReconnect(); }
      else setConnection("reconnecting", "stale");
    };
  }

  // A stream that went quiet for three heartbeats is dead even if the socket looks open.
  setInterval(() => {
    if (Date.now() - state.lastMessage > 3000 * state.heartbeat) { source && source.close(); scheduleReconnect(); }
    else renderHeader();
  }, 5000);

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("cards-filter");
    if (box) box.addEventListener("input", () => renderCards());
  });

  connect();
})();
