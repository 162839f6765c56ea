// Bar charts as inline SVG, drawn by hand (no chart library): a viewBox that scales with
// its container, a value axis with a few round ticks, labels thinned to fit, and each bar's
// exact value in its <title> (the tooltip and what a screen reader reads).

const NS = "http://www.w3.org/2000/svg";
const W = 640;
const H = 240;
const PAD = { left: 44, right: 8, top: 12, bottom: 40 };

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round step so that `max` spans about four ticks (1, 2 or 5 times a power of ten). */
export function niceStep(max) {
  if (!(max > 0)) return 1;
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/**
 * Draws `values` (numbers) labelled by `labels` into `container` (replacing its content).
 * `format` renders a value; `empty` is the text shown when every value is zero.
 */
export function barChart(container, { labels, values, format = String, title = "", empty = "" }) {
  container.replaceChildren();
  const max = Math.max(0, ...values);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "chart" });
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.append(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "gridline" }));
    svg.append(el("text", { x: PAD.left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, format(v)));
  }
  const n = values.length || 1;
  const slot = plotW / n;
  const every = Math.ceil(n / 12);
  values.forEach((v, i) => {
    const x = PAD.left + i * slot;
    const bar = el("rect", { x: x + slot * 0.15, y: y(v), width: Math.max(1, slot * 0.7), height: Math.max(0, y(0) - y(v)), class: "bar" });
    bar.append(el("title", {}, `${labels[i]}: ${format(v)}`));
    svg.append(bar);
    if (i % every === 0) {
      svg.append(el("text", { x: x + slot / 2, y: H - PAD.bottom + 16, class: "tick", "text-anchor": "middle" }, labels[i]));
    }
  });
  container.append(svg);
  if (max === 0 && empty) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = empty;
    container.append(p);
  }
}

/**
 * Lockers in use in each of the `hours` hours ending at `now` (ms), from check-in and
 * check-out log rows (`{session_id, action_type, created_at}`): a session counts in every
 * hour it overlaps; one still open counts up to now. `openBefore` sessions (in use now but
 * checked in before the logs start) count in every hour.
 */
export function occupancy(logs, now, hours, openBefore = 0) {
  const start = new Map();
  const end = new Map();
  for (const l of logs) {
    const at = Date.parse(l.created_at);
    if (l.action_type === "check_in") start.set(l.session_id, at);
    if (l.action_type === "check_out") end.set(l.session_id, at);
  }
  const from = now - hours * 3600e3;
  const counts = new Array(hours).fill(openBefore);
  for (const [id, s] of start) {
    const e = end.has(id) ? end.get(id) : now;
    for (let h = 0; h < hours; h++) {
      const a = from + h * 3600e3;
      if (s < a + 3600e3 && e > a) counts[h] += 1;
    }
  }
  return counts;
}
