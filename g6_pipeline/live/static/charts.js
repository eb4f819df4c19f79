// G6 charts: plain SVG line and bar charts whose margins are measured from their tick labels, with round
// ticks, so every label shows whole at any width. Values go in as SVG attributes and textContent only.
"use strict";

window.G6Charts = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const isNum = window.G6Numbers.isNum;

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // Round tick values in [lo, hi] (`cover`: from the one at or below lo to the one at or above hi): steps of
  // 1, 2, 2.5 or 5 × 10^k (or the first of `steps` wide enough), about `count` of them.
  function niceTicks(lo, hi, count, steps, cover) {
    const span = hi - lo || Math.abs(hi) * 0.01 || 1;  // one value: a band of 1 % around it
    const raw = span / Math.max(count - 1, 1);
    let step;
    if (steps) step = steps.find((s) => s >= raw) || steps[steps.length - 1];
    else {
      const unit = Math.pow(10, Math.floor(Math.log10(raw)));
      step = [1, 2, 2.5, 5, 10].map((m) => m * unit).find((s) => s >= raw);
    }
    const first = (cover ? Math.floor(lo / step + 1e-9) : Math.ceil(lo / step - 1e-9)) * step;
    const last = cover ? Math.max(Math.ceil(hi / step - 1e-9) * step, first + step) : hi;
    const ticks = [];
    for (let i = 0, t = first; t <= last + step * 1e-9; i += 1, t = first + i * step) {
      ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return ticks.length ? ticks : [lo];
  }

  // decimals that write every multiple of `step` exactly (at most 6)
  function digitsFor(step) {
    let d = 0;
    while (d < 6 && Math.abs(step * Math.pow(10, d) - Math.round(step * Math.pow(10, d))) > 1e-6) d += 1;
    return d;
  }

  // the width of each text as the chart draws it (class `cls`)
  function textWidths(svg, texts, cls) {
    const probe = svgEl("text", { x: 0, y: -100, class: cls });
    svg.appendChild(probe);
    const widths = texts.map((t) => { probe.textContent = t; return probe.getComputedTextLength(); });
    probe.remove();
    return widths;
  }

  // lines: [{xs, ys, cls, dots}], bars: [{x, y, cls, dx}], marks: [{x, cls, label}]; null values break a line,
  // `dots` marks every point of a line.
  // The left margin is the widest y label, x labels are kept inside the chart, and a mark's label turns to
  // the left of its line near the right edge: every label shows whole at any width.
  function plot(svg, spec) {
    const W = Math.round(svg.clientWidth) || 420, H = Math.round(svg.clientHeight) || 170, R = 6, T = 14, B = 18;
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    const xs = [], ys = spec.zero ? [0] : [];
    (spec.lines || []).forEach((s) => s.xs.forEach((x, i) => { if (isNum(s.ys[i])) { xs.push(x); ys.push(s.ys[i]); } }));
    (spec.bars || []).forEach((b) => { if (isNum(b.y)) { xs.push(b.x); ys.push(b.y); } });
    if (xs.length === 0) { svg.appendChild(svgEl("text", { x: W / 2, y: H / 2, class: "empty" }, "no data")); return; }
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), Math.max(2, Math.min(5, Math.floor((H - T - B) / 28))),
      null, true);
    const y0 = yTicks[0], y1 = yTicks[yTicks.length - 1], yr = y1 - y0 || 1;
    const yDigits = digitsFor(yTicks.length > 1 ? yTicks[1] - yTicks[0] : Math.abs(yTicks[0]) || 1);
    const yLabels = yTicks.map((y) => spec.yfmt(y, yDigits));
    const L = Math.ceil(Math.max(...textWidths(svg, yLabels, "tick y"))) + 8;
    const pad = Math.max((x1 - x0) * 0.03, spec.barWidth || 0) || 1;
    const sx = (x) => L + ((x - (x0 - pad)) / (x1 - x0 + 2 * pad)) * (W - L - R);
    const sy = (y) => T + (1 - (y - y0) / yr) * (H - T - B);
    yTicks.forEach((y, i) => {
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: sy(y), y2: sy(y), class: "grid" }));
      svg.appendChild(svgEl("text", { x: L - 4, y: sy(y) + 3, class: "tick y" }, yLabels[i]));
    });
    const widest = Math.max(...textWidths(svg, [spec.xfmt(x0), spec.xfmt(x1)], "tick x"));
    const xCount = Math.max(2, Math.floor((W - L - R) / (widest + 24)));
    const xTicks = (spec.xticks || niceTicks)(x0, x1, xCount).filter((x) => x >= x0 - pad && x <= x1 + pad);
    const xLabels = xTicks.map(spec.xfmt), xWidths = textWidths(svg, xLabels, "tick x");
    let right = -Infinity;
    xTicks.forEach((x, i) => {
      const half = xWidths[i] / 2, at = Math.min(Math.max(sx(x), half + 1), W - half - 1);
      if (at - half < right + 6) return;  // no label over its neighbour
      svg.appendChild(svgEl("text", { x: at, y: H - 5, class: "tick x" }, xLabels[i]));
      right = at + half;
    });
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
      const at = sx(m.x), width = textWidths(svg, [m.label], "tick mark-label")[0];
      const left = at + 3 + width > W - 1;
      svg.appendChild(svgEl("line", { x1: at, x2: at, y1: T - 2, y2: H - B, class: "mark " + m.cls }));
      svg.appendChild(svgEl("text", { x: left ? at - 3 : at + 3, y: T - 4, class: "tick mark-label" +
        (left ? " end" : "") }, m.label));
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
        if (!isNum(s.ys[i])) { flush(); return; }
        pts.push(sx(x).toFixed(1) + "," + sy(s.ys[i]).toFixed(1));
        if (s.dots) svg.appendChild(svgEl("circle", { cx: sx(x).toFixed(1), cy: sy(s.ys[i]).toFixed(1), r: 2.5,
          class: "dot " + s.cls }));
      });
      flush();
    });
  }

  return { plot: plot, niceTicks: niceTicks };
})();
