// G6 option-chain screen: the chain table, IV smile, OI by strike, OI over the day, gamma exposure, the ATM IV
// term structure and intraday charts from /api/*.
// Every value goes in through textContent or an SVG attribute, never as HTML. Charts are drawn by charts.js.
"use strict";

(function () {
  const N = window.G6Numbers;
  const DASH = N.DASH;
  const INDICES = ["NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"];
  const page = new URLSearchParams(window.location.search);
  const view = { index: page.get("index") || null, expiry: page.get("expiry") || null, lastStatus: null,
    renderMs: null, loading: 0, updates: 0, searched: null, interval: page.get("interval") || "close",
    strikes: page.get("strikes") || "", oidayMode: "change" };

  // [field, heading, format] of the call side, outside in; the put side keeps bid/ask and mirrors the rest.
  const CE_COLUMNS = [["oi", "OI", "qty"], ["oi_change", "Chng OI", "qty_change"], ["volume", "Volume", "qty"],
    ["iv", "IV", "iv"], ["delta", "Delta", "d2"], ["ltp", "LTP", "d2"], ["bid_qty", "Bid Qty", "qty"],
    ["bid", "Bid", "d2"], ["ask", "Ask", "d2"], ["ask_qty", "Ask Qty", "qty"]];
  const PE_COLUMNS = CE_COLUMNS.slice(6).concat(CE_COLUMNS.slice(0, 6).reverse());
  // what a table too wide for its box leaves out, first to last (the terminal chain's order, plus the
  // order quantities it never shows); OI, change in OI, IV, LTP and the strike always stay
  const DROP_ORDER = [["bid_qty", "ask_qty"], ["bid", "ask"], ["delta"], ["volume"]];

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const isNum = N.isNum;

  // `lot`: the lot size OI, volume and order quantities (stored in units) are shown in contracts with
  function fmt(value, kind, lot) {
    if (kind === "qty") return N.number(N.quantity(value, lot), 0);
    if (kind === "qty_change") return N.number(N.quantity(value, lot), 0, true);
    if (kind === "iv") return isNum(value) ? N.number(100 * value, 2) : DASH;
    if (kind === "pct") return N.percent(value, 2);
    return N.number(value, kind === "d2" ? 2 : 0);
  }

  function query(extra) {
    const params = new URLSearchParams();
    params.set("index", view.index);
    if (view.expiry) params.set("expiry", view.expiry);
    ["day", "at", "token"].forEach((k) => { if (page.get(k)) params.set(k, page.get(k)); });
    Object.entries(extra || {}).forEach(([k, v]) => params.set(k, v));
    return params.toString();
  }

  // options: extra (parameters to add), drop (parameters the route does not take)
  async function fetchView(name, options) {
    const opts = options || {};
    const params = new URLSearchParams(query(opts.extra));
    (opts.drop || []).forEach((k) => params.delete(k));
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
    const heading = ([field, name]) => { const th = el("th", "", name); th.dataset.field = field; return th; };
    CE_COLUMNS.forEach((c) => names.appendChild(heading(c)));
    names.appendChild(el("th", "strike", "Strike"));
    PE_COLUMNS.forEach((c) => names.appendChild(heading(c)));
    thead.append(top, names);
  }

  // leave out whole columns in DROP_ORDER until the table fits its box (none when it fits as it is)
  function fitTable() {
    const wrap = document.querySelector(".chain-wrap");
    const table = document.getElementById("chain-table");
    const heads = document.querySelectorAll("#chain-head th.side-head");
    let dropped = 0;
    const apply = () => {
      const hidden = DROP_ORDER.slice(0, dropped).flat();
      table.dataset.hide = hidden.join(" ");
      heads.forEach((th) => { th.colSpan = CE_COLUMNS.filter((c) => !hidden.includes(c[0])).length; });
    };
    apply();
    while (wrap.scrollWidth > wrap.clientWidth + 1 && dropped < DROP_ORDER.length) { dropped += 1; apply(); }
  }

  function sideCells(tr, side, values, columns, totals, lot) {
    columns.forEach(([field, , kind]) => {
      const v = values ? values[field] : null;
      const text = totals && !(field in values) ? "" : fmt(v, kind, lot);
      const td = el("td", "num " + side + (values && values.itm ? " itm" : ""), text);
      if (field === "oi_change" && isNum(v) && v !== 0) td.classList.add(v > 0 ? "up" : "down");
      td.dataset.side = side;
      td.dataset.field = field;
      tr.appendChild(td);
    });
  }

  // "45/60 bhavcopy": IV rank and percentile and what their daily closes are (as the terminal views write it);
  // without a rank, the closes there are: "- (3 bhavcopy closes)"
  function ivRank(data) {
    const words = data.iv_history_source || "";
    if (!isNum(data.iv_rank) && !isNum(data.iv_percentile)) {
      return isNum(data.iv_history) && data.iv_history > 0
        ? DASH + " (" + data.iv_history + " " + (words ? words + " " : "") + (data.iv_history === 1 ? "close)" : "closes)")
        : DASH;
    }
    return N.number(data.iv_rank, 0) + "/" + N.number(data.iv_percentile, 0) + (words ? " " + words : "");
  }

  const CRORE = 1e7;
  const crore = (rupees) => (isNum(rupees) ? N.number(rupees / CRORE, 1, true) : DASH);

  function renderChain(data) {
    const started = performance.now();
    const changeHead = "Chng OI" + (data.oi_interval && data.oi_interval !== "close" ? " " + data.oi_interval : "");
    document.querySelectorAll('#chain-head th[data-field="oi_change"]').forEach((th) => { th.textContent = changeHead; });
    const body = document.createDocumentFragment();
    data.rows.forEach((row) => {
      const tr = el("tr", row.atm ? "atm" : "");
      tr.dataset.strike = String(row.strike);
      sideCells(tr, "ce", row.ce, CE_COLUMNS, false, data.lot_size);
      const strike = el("td", "strike" + (row.max_pain ? " max-pain" : ""), N.strike(row.strike));
      strike.dataset.field = "strike";
      if (row.max_pain) strike.title = "max pain";
      if (row.atm) strike.title = (strike.title ? strike.title + ", " : "") + "ATM";
      tr.appendChild(strike);
      sideCells(tr, "pe", row.pe, PE_COLUMNS, false, data.lot_size);
      body.appendChild(tr);
    });
    document.getElementById("chain-rows").replaceChildren(body);
    const foot = el("tr", "totals");
    sideCells(foot, "ce", data.totals.ce, CE_COLUMNS, true, data.lot_size);
    foot.appendChild(el("td", "strike", "Total"));
    sideCells(foot, "pe", data.totals.pe, PE_COLUMNS, true, data.lot_size);
    document.getElementById("chain-totals").replaceChildren(foot);
    const summary = document.getElementById("chain-summary");
    summary.replaceChildren();
    if (data.simulated) summary.appendChild(el("span", "badge simulated", "simulated"));
    [["", data.day + " " + data.minute + " IST"], ["spot", fmt(data.spot, "d2")], ["fwd", fmt(data.forward, "d2")],
      ["ATM", fmt(data.atm, "int")], ["max pain", fmt(data.max_pain, "int")], ["PCR", fmt(data.pcr_oi, "d2")],
      ["PCR vol", fmt(data.pcr_volume, "d2")], ["straddle", fmt(data.straddle, "d2")],
      ["ATM IV", fmt(data.atm_iv, "pct")], ["IVR/IVP", ivRank(data)], ["GEX ₹cr/1%", crore(data.gex)],
      ["lot", fmt(data.lot_size, "int")]].forEach(([label, text]) => {
      const item = el("span", "fact");
      if (label) item.appendChild(el("span", "muted", label + " "));
      item.appendChild(el("b", "", text));
      summary.appendChild(item);
    });
    document.getElementById("chain-units").textContent = data.unit_words || "";
    view.renderMs = performance.now() - started;
    document.getElementById("chain").dataset.renderMs = view.renderMs.toFixed(2);
    fitTable();
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

  // ---- plain SVG charts (charts.js) ----
  const plot = window.G6Charts.plot, niceTicks = window.G6Charts.niceTicks;

  const strikeFmt = (x) => N.strike(x);
  const pctFmt = (y, digits) => N.number(100 * y, Math.max(0, digits - 2)) + "%";
  const SESSION_OPEN = 9 * 60 + 15;
  const minuteOf = (hhmm) => { const [h, m] = String(hhmm).split(":").map(Number); return h * 60 + m - SESSION_OPEN; };
  const clock = (m) => { const t = Math.round(m) + SESSION_OPEN; return String(Math.floor(t / 60)).padStart(2, "0") + ":" + String(t % 60).padStart(2, "0"); };
  // ticks on round clock times (every 15, 30, 60 or 120 minutes)
  const clockTicks = (lo, hi, count) => niceTicks(lo + SESSION_OPEN, hi + SESSION_OPEN, count, [15, 30, 60, 90, 120, 180, 240])
    .map((t) => t - SESSION_OPEN);

  function renderSmile(data) {
    // the call line drawn wider underneath, so a put line on top of it (put-call parity) leaves both visible
    const lines = [{ xs: data.strikes, ys: data.ce_iv, cls: "ce under" }, { xs: data.strikes, ys: data.pe_iv, cls: "pe" }];
    const prev = data.previous_close;
    if (prev) {
      lines.unshift({ xs: prev.strikes, ys: prev.ce_iv, cls: "prev" }, { xs: prev.strikes, ys: prev.pe_iv, cls: "prev" });
    }
    plot(document.getElementById("smile-chart"), { lines: lines, xfmt: strikeFmt, yfmt: pctFmt,
      marks: [{ x: data.atm, cls: "atm", label: "ATM" }] });
    document.getElementById("smile-note").textContent = prev ? "dashed: close of " + prev.day + " " + prev.minute : "no previous close stored";
  }

  function renderOi(data) {
    const step = data.strikes.length > 1 ? data.strikes[1] - data.strikes[0] : 1;
    const q = (v) => N.quantity(v, data.lot_size);
    const bars = [];
    data.strikes.forEach((k, i) => {
      bars.push({ x: k, y: q(data.ce_oi[i]), cls: "ce", dx: -1 }, { x: k, y: q(data.pe_oi[i]), cls: "pe", dx: 0 });
      bars.push({ x: k, y: q(data.ce_oi_change[i]), cls: "ce change", dx: -1 },
        { x: k, y: q(data.pe_oi_change[i]), cls: "pe change", dx: 0 });
    });
    plot(document.getElementById("oi-chart"), { bars: bars, barWidth: step * 0.4, zero: true, xfmt: strikeFmt,
      yfmt: (y) => N.number(y, 0), marks: [{ x: data.max_pain, cls: "max-pain", label: "max pain" }] });
    document.getElementById("oi-unit").textContent = N.quantities === "units" ? "in units" : "in contracts";
    document.getElementById("oi-basis").textContent = "· light: change " + (data.basis || "since the previous close");
  }

  // one colour per chosen strike (s0..s5), calls solid and puts dashed; OI or its change over the interval
  function renderOiDay(data) {
    const svg = document.getElementById("oiday-chart"), keys = document.getElementById("oiday-keys");
    const note = document.getElementById("oiday-note");
    keys.replaceChildren();
    if (data.error) {
      svg.replaceChildren();
      note.textContent = data.error;
      return;
    }
    const xs = data.times.map(minuteOf), change = view.oidayMode === "change";
    const q = (v) => N.quantity(v, data.lot_size);
    const lines = [];
    data.series.forEach((series, i) => {
      const cls = "s" + (i % 6);
      lines.push({ xs: xs, ys: (change ? series.ce_change : series.ce_oi).map(q), cls: cls },
        { xs: xs, ys: (change ? series.pe_change : series.pe_oi).map(q), cls: cls + " dashed" });
      keys.appendChild(el("span", "key " + cls, strikeFmt(series.strike) + " "));
    });
    plot(svg, { lines: lines, zero: change, xfmt: clock, xticks: clockTicks, yfmt: (y, d) => N.number(y, d) });
    note.textContent = (change ? data.basis + ", " : "") + (N.quantities === "units" ? "in units" : "in contracts");
  }

  // net gamma exposure per strike in crores of rupees for a 1 % rise (green: dealers long gamma there)
  function renderGex(data) {
    const step = data.strikes.length > 1 ? data.strikes[1] - data.strikes[0] : 1;
    const bars = data.strikes.map((k, i) => {
      const y = isNum(data.gamma_rupees[i]) ? data.gamma_rupees[i] / CRORE : null;
      return { x: k, y: y, cls: y !== null && y < 0 ? "gex-down" : "gex-up", dx: -0.5 };
    });
    plot(document.getElementById("gex-chart"), { bars: bars, barWidth: step * 0.8, zero: true, xfmt: strikeFmt,
      yfmt: (y, d) => N.number(y, d), marks: [{ x: data.atm, cls: "atm", label: "ATM" }] });
    const t = data.totals || {};
    document.getElementById("gex-note").textContent = "· total ₹" + crore(t.gamma_rupees) + " cr · delta ₹" +
      crore(t.delta_rupees) + " cr · calls +, puts −";
  }

  function renderTerm(data) {
    const known = data.expiries.filter((e) => isNum(e.atm_iv));
    const dayFmt = (d) => N.number(d, 0) + "d";
    plot(document.getElementById("term-chart"), { lines: [{ xs: known.map((e) => e.days),
      ys: known.map((e) => e.atm_iv), cls: "term", dots: true }], xfmt: dayFmt, yfmt: pctFmt });
    const listed = data.expiries.filter((e) => !e.collected).map((e) => e.expiry);
    document.getElementById("term-note").textContent = known.map((e) => e.tags.join("/") || e.expiry).join(", ") +
      (listed.length ? " · listed, not collected: " + listed.join(", ") : "");
  }

  function renderGexDay(data) {
    const day = data.intraday;
    plot(document.getElementById("gexday-chart"), { lines: [{ xs: day.times.map(minuteOf),
      ys: day.gex.map((g) => (isNum(g) ? g / CRORE : null)), cls: "spot" }], zero: true, xfmt: clock,
      xticks: clockTicks, yfmt: (y, d) => N.number(y, d) });
  }

  function renderIntraday(data) {
    const xs = data.times.map(minuteOf);
    const master = data.master;
    const mx = master ? master.times.map(minuteOf) : [];
    const spec = (lines, yfmt) => ({ lines: lines, xfmt: clock, xticks: clockTicks, yfmt: yfmt });
    const plain = (y, digits) => N.number(y, digits);
    plot(document.getElementById("spot-chart"), spec([{ xs: xs, ys: data.spot, cls: "spot" }], plain));
    plot(document.getElementById("pcr-chart"), spec([{ xs: xs, ys: data.pcr_oi, cls: "ce" },
      { xs: xs, ys: data.pcr_volume, cls: "pe" }], plain));
    const dte = data.dte_master;
    const dx = dte ? dte.times.map(minuteOf) : [];
    const bands = (metric) => dte ? [{ xs: dx, ys: dte[metric].p10, cls: "band" }, { xs: dx, ys: dte[metric].p90, cls: "band" },
      { xs: dx, ys: dte[metric].p50, cls: "dte" }] : [];
    plot(document.getElementById("straddle-chart"), spec([...bands("straddle"),
      master ? { xs: mx, ys: master.straddle, cls: "master" } : null,
      { xs: xs, ys: data.straddle, cls: "spot" }].filter(Boolean), plain));
    plot(document.getElementById("atmiv-chart"), spec([...bands("atm_iv"),
      master ? { xs: mx, ys: master.atm_iv, cls: "master" } : null,
      { xs: xs, ys: data.atm_iv, cls: "spot" }].filter(Boolean), pctFmt));
    const tag = data.expiry_tag.replace("_", " ");
    const notes = [master
      ? "dashed: weekday master mean (" + master.weekday + ", " + tag + ", ATM)"
      : "no weekday master stored for " + tag];
    if (dte) {
      const left = dte.sessions_to_expiry === 1 ? "1 session" : dte.sessions_to_expiry + " sessions";
      notes.push("dotted: typical day " + left + " before expiry, median and p10–p90 of " + dte.days +
        (dte.days === 1 ? " day" : " days"));
    }
    document.getElementById("master-note").textContent = notes.join("; ");
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
      const interval = { interval: view.interval };
      const [chain, smile, oi, intraday, oiday, exposure, term] = await Promise.all([
        fetchView("chain", { extra: interval }), fetchView("smile"), fetchView("oi", { extra: interval }),
        fetchView("intraday", { drop: ["at"] }),
        fetchView("oi_day", { extra: { interval: view.interval, strikes: view.strikes } })
          .catch((err) => ({ error: String(err.message || err) })),
        fetchView("exposure"), fetchView("term", { drop: ["expiry"] })]);
      if (ticket !== view.loading) return;  // a newer request superseded this one
      showError("");
      renderExpiries(chain);
      renderChain(chain);
      renderSmile(smile);
      renderOi(oi);
      renderIntraday(intraday);
      renderOiDay(oiday);
      renderGex(exposure);
      renderTerm(term);
      renderGexDay(exposure);
      view.drawn = { smile: smile, oi: oi, intraday: intraday, oiday: oiday, exposure: exposure, term: term };
      view.updates += 1;
      document.getElementById("chain").dataset.updates = String(view.updates);
    } catch (err) {
      if (ticket !== view.loading) return;
      document.getElementById("chain-rows").replaceChildren();
      document.getElementById("chain-totals").replaceChildren();
      showError(String(err.message || err));
    }
  }

  // the search box: /api/underlyings finds names and companies among two hundred; picking one shows its chain
  let searchTimer = null;
  async function searchNames(text) {
    const params = new URLSearchParams({ q: text, limit: "20" });
    if (page.get("token")) params.set("token", page.get("token"));
    const response = await fetch("/api/underlyings?" + params.toString(), { cache: "no-store" });
    if (!response.ok) return;
    const body = await response.json();
    const list = document.getElementById("chain-names");
    list.replaceChildren();
    (body.underlyings || []).forEach((u) => {
      const option = el("option");
      option.value = String(u.name);
      option.label = (u.company ? String(u.company) : String(u.kind)) + (u.stored ? "" : " · nothing stored");
      list.appendChild(option);
    });
    document.getElementById("chain-search").dataset.results = String(body.total ?? 0);
  }

  function choose(name) {
    if (!name) return;
    const select = document.getElementById("chain-index");
    if (![...select.options].some((o) => o.value === name)) {
      const option = el("option", "", name);
      option.value = name;
      select.appendChild(option);
    }
    select.value = name;
    view.index = name;
    view.expiry = null;
    refresh();
  }

  function setIndices(names) {
    const select = document.getElementById("chain-index");
    const list = (names.length ? names : INDICES).slice();
    if (view.index && !list.includes(view.index) && view.searched === view.index) list.push(view.index);
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
    const search = document.getElementById("chain-search");
    search.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { searchNames(search.value).catch(() => {}); }, 200);
    });
    search.addEventListener("change", () => {
      const name = search.value.trim().toUpperCase();
      view.searched = name;
      choose(name);
    });
    const interval = document.getElementById("oi-interval"), strikes = document.getElementById("oi-strikes");
    interval.value = view.interval;
    strikes.value = view.strikes;
    interval.addEventListener("change", (e) => { view.interval = e.target.value; refresh(); });
    strikes.addEventListener("change", (e) => { view.strikes = e.target.value.trim(); refresh(); });
    document.getElementById("oiday-mode").addEventListener("change", (e) => {
      view.oidayMode = e.target.value;
      if (view.drawn) renderOiDay(view.drawn.oiday);
    });
    window.addEventListener("g6-status", (e) => onStatus(e.detail));
    let resized = null;  // the charts are drawn to their size and the table fitted to its box: redo both
    window.addEventListener("resize", () => {
      clearTimeout(resized);
      resized = setTimeout(() => {
        if (!view.drawn) return;
        fitTable();
        renderSmile(view.drawn.smile);
        renderOi(view.drawn.oi);
        renderIntraday(view.drawn.intraday);
        renderOiDay(view.drawn.oiday);
        renderGex(view.drawn.exposure);
        renderTerm(view.drawn.term);
        renderGexDay(view.drawn.exposure);
      }, 150);
    });
    refresh();
  });

  window.G6Chain = { renderChain: renderChain, refresh: refresh };
})();
