// G6 option-chain screen: the chain table, IV smile, OI by strike and intraday charts from /api/*.
// Every value goes in through textContent or an SVG attribute, never as HTML. Charts are plain SVG.
"use strict";

(function () {
  const DASH = "-";
  const NS = "http://www.w3.org/2000/svg";
  const INDICES = ["NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"];
  const page = new URLSearchParams(window.location.search);
  const view = { index: page.get("index") || null, expiry: page.get("expiry") || null, lastStatus: null,
    renderMs: null, loading: 0, updates: 0 };

  // [field, heading, format] of the call side, outside in; the put side keeps bid/ask and mirrors the rest.
  const CE_COLUMNS = [["oi", "OI", "int"], ["oi_change", "Chng OI", "signed"], ["volume", "Volume", "int"],
    ["iv", "IV", "iv"], ["delta", "Delta", "d2"], ["ltp", "LTP", "d2"], ["bid_qty", "Bid Qty", "int"],
    ["bid", "Bid", "d2"], ["ask", "Ask", "d2"], ["ask_qty", "Ask Qty", "int"]];
  const PE_COLUMNS = CE_COLUMNS.slice(6).concat(CE_COLUMNS.slice(0, 6).reverse());

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  function fmt(value, kind) {
    if (!isNum(value)) return DASH;
    if (kind === "iv") return (100 * value).toFixed(2);
    if (kind === "pct") return (100 * value).toFixed(2) + "%";
    const digits = kind === "d2" ? 2 : 0;
    const text = value.toLocaleString("en-IN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return kind === "signed" && value > 0 ? "+" + text : text;
  }

  function query(extra) {
    const params = new URLSearchParams();
    params.set("index", view.index);
    if (view.expiry) params.set("expiry", view.expiry);
    ["day", "at", "token"].forEach((k) => { if (page.get(k)) params.set(k, page.get(k)); });
    Object.entries(extra || {}).forEach(([k, v]) => params.set(k, v));
    return params.toString();
  }

  async function fetchView(name, skipAt) {
    const params = new URLSearchParams(query());
    if (skipAt) params.delete("at");
    const response = await fetch("/api/" + name + "?" + params.toString(), { cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body && body.error ? String(body.error) : "HTTP " + response.status);
    return body;
  }

  // ---- the chain table ----
  function headRows() {
    const thead = document.getElementById("chain-head");
    thead.replaceChildren();
    const top = el("tr");
    const calls = el("th", "side-head", "CALLS");
    calls.colSpan = CE_COLUMNS.length;
    const puts = el("th", "side-head", "PUTS");
    puts.colSpan = PE_COLUMNS.length;
    top.append(calls, el("th", "strike", ""), puts);
    const names = el("tr");
    CE_COLUMNS.forEach((c) => names.appendChild(el("th", "", c[1])));
    names.appendChild(el("th", "strike", "Strike"));
    PE_COLUMNS.forEach((c) => names.appendChild(el("th", "", c[1])));
    thead.append(top, names);
  }

  function sideCells(tr, side, values, columns, totals) {
    columns.forEach(([field, , kind]) => {
      const v = values ? values[field] : null;
      const text = totals && !(field in values) ? "" : fmt(v, kind);
      const td = el("td", "num " + side + (values && values.itm ? " itm" : ""), text);
      if (field === "oi_change" && isNum(v) && v !== 0) td.classList.add(v > 0 ? "up" : "down");
      td.dataset.side = side;
      td.dataset.field = field;
      tr.appendChild(td);
    });
  }

  function renderChain(data) {
    const started = performance.now();
    const body = document.createDocumentFragment();
    data.rows.forEach((row) => {
      const tr = el("tr", row.atm ? "atm" : "");
      tr.dataset.strike = String(row.strike);
      sideCells(tr, "ce", row.ce, CE_COLUMNS);
      const strike = el("td", "strike" + (row.max_pain ? " max-pain" : ""), fmt(row.strike, "int"));
      strike.dataset.field = "strike";
      if (row.max_pain) strike.title = "max pain";
      if (row.atm) strike.title = (strike.title ? strike.title + ", " : "") + "ATM";
      tr.appendChild(strike);
      sideCells(tr, "pe", row.pe, PE_COLUMNS);
      body.appendChild(tr);
    });
    document.getElementById("chain-rows").replaceChildren(body);
    const foot = el("tr", "totals");
    sideCells(foot, "ce", data.totals.ce, CE_COLUMNS, true);
    foot.appendChild(el("td", "strike", "Total"));
    sideCells(foot, "pe", data.totals.pe, PE_COLUMNS, true);
    document.getElementById("chain-totals").replaceChildren(foot);
    const summary = document.getElementById("chain-summary");
    summary.replaceChildren();
    [["", data.day + " " + data.minute + " IST"], ["spot", fmt(data.spot, "d2")], ["fwd", fmt(data.forward, "d2")],
      ["ATM", fmt(data.atm, "int")], ["max pain", fmt(data.max_pain, "int")], ["PCR", fmt(data.pcr_oi, "d2")],
      ["PCR vol", fmt(data.pcr_volume, "d2")], ["straddle", fmt(data.straddle, "d2")],
      ["ATM IV", fmt(data.atm_iv, "pct")], ["lot", fmt(data.lot_size, "int")]].forEach(([label, text]) => {
      const item = el("span", "fact");
      if (label) item.appendChild(el("span", "muted", label + " "));
      item.appendChild(el("b", "", text));
      summary.appendChild(item);
    });
    view.renderMs = performance.now() - started;
    document.getElementById("chain").dataset.renderMs = view.renderMs.toFixed(2);
  }

  function renderExpiries(data) {
    const select = document.getElementById("chain-expiry");
    const wanted = data.expiry_tag;
    const same = select.options.length === data.expiries.length &&
      data.expiries.every((e, i) => select.options[i].value === e.tag);
    if (!same) {
      select.replaceChildren();
      data.expiries.forEach((e) => {
        const option = el("option", "", e.tag.replace("_", " ") + " · " + e.expiry);
        option.value = e.tag;
        select.appendChild(option);
      });
    }
    select.value = wanted;
  }

  // ---- plain SVG charts ----
  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // lines: [{xs, ys, cls}], bars: [{x, y, cls, w}]; null values break a line.
  function plot(svg, spec) {
    const W = Math.round(svg.clientWidth) || 420, H = Math.round(svg.clientHeight) || 170, L = 52, R = 8, T = 8, B = 22;
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    const xs = [], ys = spec.zero ? [0] : [];
    (spec.lines || []).forEach((s) => s.xs.forEach((x, i) => { if (isNum(s.ys[i])) { xs.push(x); ys.push(s.ys[i]); } }));
    (spec.bars || []).forEach((b) => { if (isNum(b.y)) { xs.push(b.x); ys.push(b.y); } });
    if (xs.length === 0) { svg.appendChild(svgEl("text", { x: W / 2, y: H / 2, class: "empty" }, "no data")); return; }
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const pad = (x1 - x0) * 0.03 || 1, yr = y1 - y0 || Math.abs(y1) || 1;
    const sx = (x) => L + ((x - (x0 - pad)) / (x1 - x0 + 2 * pad)) * (W - L - R);
    const sy = (y) => T + (1 - (y - (y0 - 0.05 * yr)) / (1.1 * yr)) * (H - T - B);
    [y0, (y0 + y1) / 2, y1].forEach((y) => {
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: sy(y), y2: sy(y), class: "grid" }));
      svg.appendChild(svgEl("text", { x: L - 4, y: sy(y) + 3, class: "tick y" }, spec.yfmt(y)));
    });
    [x0, (x0 + x1) / 2, x1].forEach((x) => svg.appendChild(svgEl("text", { x: sx(x), y: H - 6, class: "tick x" }, spec.xfmt(x))));
    if (spec.zero && y0 < 0) svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: sy(0), y2: sy(0), class: "axis" }));
    const bw = spec.barWidth ? Math.max(1, (spec.barWidth / (x1 - x0 + 2 * pad)) * (W - L - R)) : 3;
    (spec.bars || []).forEach((b) => {
      if (!isNum(b.y)) return;
      const top = Math.min(sy(b.y), sy(0));
      svg.appendChild(svgEl("rect", { x: sx(b.x) + (b.dx || 0) * bw, y: top, width: bw,
        height: Math.max(0.5, Math.abs(sy(b.y) - sy(0))), class: b.cls }));
    });
    (spec.marks || []).forEach((m) => {
      if (!isNum(m.x)) return;
      svg.appendChild(svgEl("line", { x1: sx(m.x), x2: sx(m.x), y1: T, y2: H - B, class: "mark " + m.cls }));
      svg.appendChild(svgEl("text", { x: sx(m.x) + 3, y: T + 9, class: "tick mark-label" }, m.label));
    });
    (spec.lines || []).forEach((s) => {
      let pts = [];
      const flush = () => {
        if (pts.length > 1) svg.appendChild(svgEl("polyline", { points: pts.join(" "), class: "line " + s.cls }));
        if (pts.length === 1) {
          const [cx, cy] = pts[0].split(",");
          svg.appendChild(svgEl("circle", { cx: cx, cy: cy, r: 1.8, class: "dot " + s.cls }));
        }
        pts = [];
      };
      s.xs.forEach((x, i) => {
        if (isNum(s.ys[i])) pts.push(sx(x).toFixed(1) + "," + sy(s.ys[i]).toFixed(1)); else flush();
      });
      flush();
    });
  }

  const strikeFmt = (x) => Math.round(x).toLocaleString("en-IN");
  const minuteOf = (hhmm) => { const [h, m] = String(hhmm).split(":").map(Number); return h * 60 + m - (9 * 60 + 15); };
  const clock = (m) => { const t = Math.round(m) + 9 * 60 + 15; return String(Math.floor(t / 60)).padStart(2, "0") + ":" + String(t % 60).padStart(2, "0"); };

  function renderSmile(data) {
    // the call line drawn wider underneath, so a put line on top of it (put-call parity) leaves both visible
    const lines = [{ xs: data.strikes, ys: data.ce_iv, cls: "ce under" }, { xs: data.strikes, ys: data.pe_iv, cls: "pe" }];
    const prev = data.previous_close;
    if (prev) {
      lines.unshift({ xs: prev.strikes, ys: prev.ce_iv, cls: "prev" }, { xs: prev.strikes, ys: prev.pe_iv, cls: "prev" });
    }
    plot(document.getElementById("smile-chart"), { lines: lines, xfmt: strikeFmt, yfmt: (y) => (100 * y).toFixed(1) + "%",
      marks: [{ x: data.atm, cls: "atm", label: "ATM" }] });
    document.getElementById("smile-note").textContent = prev ? "dashed: close of " + prev.day + " " + prev.minute : "no previous close stored";
  }

  function renderOi(data) {
    const step = data.strikes.length > 1 ? data.strikes[1] - data.strikes[0] : 1;
    const bars = [];
    data.strikes.forEach((k, i) => {
      bars.push({ x: k, y: data.ce_oi[i], cls: "ce", dx: -1 }, { x: k, y: data.pe_oi[i], cls: "pe", dx: 0 });
      bars.push({ x: k, y: data.ce_oi_change[i], cls: "ce change", dx: -1 }, { x: k, y: data.pe_oi_change[i], cls: "pe change", dx: 0 });
    });
    plot(document.getElementById("oi-chart"), { bars: bars, barWidth: step * 0.4, zero: true, xfmt: strikeFmt,
      yfmt: (y) => fmt(y, "int"), marks: [{ x: data.max_pain, cls: "max-pain", label: "max pain" }] });
  }

  function renderIntraday(data) {
    const xs = data.times.map(minuteOf);
    const master = data.master;
    const mx = master ? master.times.map(minuteOf) : [];
    const spec = (lines, yfmt) => ({ lines: lines, xfmt: clock, yfmt: yfmt });
    plot(document.getElementById("spot-chart"), spec([{ xs: xs, ys: data.spot, cls: "spot" }], (y) => fmt(y, "int")));
    plot(document.getElementById("pcr-chart"), spec([{ xs: xs, ys: data.pcr_oi, cls: "ce" },
      { xs: xs, ys: data.pcr_volume, cls: "pe" }], (y) => y.toFixed(2)));
    plot(document.getElementById("straddle-chart"), spec([master ? { xs: mx, ys: master.straddle, cls: "master" } : null,
      { xs: xs, ys: data.straddle, cls: "spot" }].filter(Boolean), (y) => fmt(y, "d2")));
    plot(document.getElementById("atmiv-chart"), spec([master ? { xs: mx, ys: master.atm_iv, cls: "master" } : null,
      { xs: xs, ys: data.atm_iv, cls: "spot" }].filter(Boolean), (y) => (100 * y).toFixed(1) + "%"));
    document.getElementById("master-note").textContent = master
      ? "dashed: weekday master mean (" + master.weekday + ", " + data.expiry_tag.replace("_", " ") + ", ATM)"
      : "no weekday master stored for " + data.expiry_tag.replace("_", " ");
  }

  function showError(message) {
    const note = document.getElementById("chain-error");
    note.textContent = message || "";
    note.hidden = !message;
  }

  async function refresh() {
    if (!view.index) return;
    const ticket = ++view.loading;
    try {
      const [chain, smile, oi, intraday] = await Promise.all([fetchView("chain"), fetchView("smile"),
        fetchView("oi"), fetchView("intraday", true)]);
      if (ticket !== view.loading) return;  // a newer request superseded this one
      showError("");
      renderExpiries(chain);
      renderChain(chain);
      renderSmile(smile);
      renderOi(oi);
      renderIntraday(intraday);
      view.updates += 1;
      document.getElementById("chain").dataset.updates = String(view.updates);
    } catch (err) {
      if (ticket !== view.loading) return;
      document.getElementById("chain-rows").replaceChildren();
      document.getElementById("chain-totals").replaceChildren();
      showError(String(err.message || err));
    }
  }

  function setIndices(names) {
    const select = document.getElementById("chain-index");
    const list = names.length ? names : INDICES;
    if (select.options.length === list.length && list.every((n, i) => select.options[i].value === n)) return;
    select.replaceChildren();
    list.forEach((name) => { const o = el("option", "", name); o.value = name; select.appendChild(o); });
    if (!view.index || !list.includes(view.index)) view.index = list[0];
    select.value = view.index;
  }

  function onStatus(status) {
    if (!status || typeof status !== "object") return;
    const names = Array.isArray(status.index_order) ? status.index_order : Object.keys(status.indices || {});
    const first = !view.index;
    setIndices(names.filter((n) => typeof n === "string"));
    const stamp = String(status.generated_at || "") + "|" + String(status.cycle || "");
    if (stamp === view.lastStatus && !first) return;
    view.lastStatus = stamp;
    if (!page.get("at")) refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    headRows();
    setIndices([]);
    document.getElementById("chain-index").addEventListener("change", (e) => {
      view.index = e.target.value; view.expiry = null; refresh();
    });
    document.getElementById("chain-expiry").addEventListener("change", (e) => { view.expiry = e.target.value; refresh(); });
    window.addEventListener("g6-status", (e) => onStatus(e.detail));
    refresh();
  });

  window.G6Chain = { renderChain: renderChain, refresh: refresh };
})();
