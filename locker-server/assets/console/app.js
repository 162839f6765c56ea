// The operator's console: sign-in, the live locker grid (kept current by /ws), sessions,
// alerts, controllers, locker management and statistics. Plain DOM, no framework; every
// call goes through api.js, every word through i18n.js.

import * as api from "./api.js";
import { t, apply, use, current } from "./i18n.js";
import { barChart, occupancy } from "./charts.js";
import * as csv from "./csv.js";

const $ = (sel, root = document) => root.querySelector(sel);
const state = { lockers: new Map(), boards: new Map(), view: "grid", sessionsPage: 1, closeEvents: null, alertId: null, forceId: null };

/** A new element with attributes/properties and children. */
function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

let toastTimer = null;
function toast(message, kind = "info") {
  const el = $("#toast");
  el.textContent = message;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}
const fail = (e) => toast(t("error", { message: describe(e) }), "error");

/** An ApiError in words: its message, and the field the server named. */
function describe(e) {
  const field = e && e.details && e.details.field ? ` (${e.details.field})` : "";
  return `${e.code ? `${e.code}: ` : ""}${e.message}${field}`;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString(current()) : "—");
const money = (n) => new Intl.NumberFormat(current(), { maximumFractionDigits: 2 }).format(n);

// ---- sign-in and navigation -------------------------------------------------------------

function showSignIn(message = "") {
  if (state.closeEvents) state.closeEvents();
  state.closeEvents = null;
  $("#signin").hidden = false;
  $("#nav").hidden = true;
  $("#sign-out").hidden = true;
  for (const v of document.querySelectorAll(".view")) v.hidden = true;
  $("#signin-error").textContent = message;
  setLink(false);
}

async function signedIn() {
  $("#signin").hidden = true;
  $("#nav").hidden = false;
  $("#sign-out").hidden = false;
  state.closeEvents = api.events(onEvent, setLink);
  await show(state.view);
}

function setLink(live) {
  const el = $("#link");
  el.className = `link ${live ? "on" : "off"}`;
  el.dataset.i18n = live ? "live" : "offline";
  el.textContent = t(el.dataset.i18n);
  document.body.dataset.live = live ? "1" : "0";
}

const LOADERS = {
  grid: loadGrid, sessions: loadSessions, alerts: loadAlerts, controllers: loadControllers, lockers: loadLockers, stats: loadStats,
};

async function show(view) {
  state.view = view;
  for (const b of document.querySelectorAll("#nav button")) b.setAttribute("aria-current", b.dataset.view === view ? "page" : "false");
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== `view-${view}`;
  document.body.dataset.view = view;
  try {
    await LOADERS[view]();
  } catch (e) {
    if (e.status !== 401) fail(e);
  }
  document.body.dataset.loaded = view;
}

// ---- live grid --------------------------------------------------------------------------

async function loadBoards() {
  const data = await api.get("/api/v1/controllers?limit=100");
  state.boards = new Map(data.controllers.map((c) => [c.esp32_id, c]));
}

async function loadLockerList() {
  const data = await api.get("/api/v1/lockers");
  state.lockers = new Map(data.lockers.map((l) => [l.id, l]));
  for (const sel of document.querySelectorAll(".locker-choice")) {
    const keep = sel.value;
    sel.replaceChildren(h("option", { value: "", "data-i18n": "all" }, t("all")),
      ...[...state.lockers.values()].map((l) => h("option", { value: l.id }, l.locker_code)));
    sel.value = keep;
  }
  return data;
}

async function loadGrid() {
  await Promise.all([loadLockerList(), loadBoards()]);
  renderGrid();
}

function renderSummary() {
  const c = { available: 0, in_use: 0, reserved: 0, maintenance: 0, total: state.lockers.size };
  for (const l of state.lockers.values()) c[l.status] = (c[l.status] || 0) + 1;
  $("#summary").textContent = t("summary", c);
}

function tile(l) {
  const board = l.esp32_id ? state.boards.get(l.esp32_id) : null;
  const boardState = !l.esp32_id ? "none" : board && board.is_online ? "online" : "offline";
  const boardWord = { none: "no_board", online: "board_online", offline: "board_offline" }[boardState];
  return h("button", {
    type: "button", class: `tile ${l.status}`, title: l.location,
    dataset: { lockerId: l.id, code: l.locker_code, status: l.status, door: l.door_state, board: boardState },
    onclick: () => openLocker(l.id),
  },
  h("span", { class: "code" }, l.locker_code),
  h("span", { class: "size" }, t(`size_${l.size}`)),
  h("span", { class: "status" }, t(`status_${l.status}`)),
  h("span", { class: `door ${l.door_state}` }, t(`door_${l.door_state}`)),
  h("span", { class: `board ${boardState}` }, l.esp32_id ? `${l.esp32_id} · ${t(boardWord)}` : t(boardWord)));
}

function renderGrid() {
  const lockers = [...state.lockers.values()].sort((a, b) => a.locker_code.localeCompare(b.locker_code, "en", { numeric: true }));
  $("#grid").replaceChildren(...lockers.map(tile));
  renderSummary();
}

/** One locker changed (from /ws): its tile is redrawn in place. */
function updateLocker(id, change) {
  const l = state.lockers.get(id);
  if (!l) { if (state.view === "grid") loadGrid().catch(fail); return; }
  Object.assign(l, change);
  const old = document.querySelector(`.tile[data-locker-id="${id}"]`);
  if (old) old.replaceWith(tile(l));
  renderSummary();
}

function onEvent(ev) {
  const d = ev.data || {};
  if (ev.event === "locker_status_changed") {
    updateLocker(d.locker_id, { status: d.status, door_state: d.door_state });
  } else if (ev.event === "security_alert") {
    toast(t("new_alert", { message: `${d.locker_code || ""} ${d.alert_type}: ${d.message}` }), d.severity === "critical" ? "bad" : "warn");
    if (state.view === "alerts") loadAlerts().catch(fail);
  } else if (ev.event === "session_updated") {
    if (state.view === "sessions") loadSessions().catch(fail);
  }
}

// ---- force-open -------------------------------------------------------------------------

function openLocker(id) {
  const l = state.lockers.get(id);
  if (!l) return;
  state.forceId = id;
  const form = $("#force-form");
  form.reset();
  $("#force-error").textContent = "";
  $("#locker-dialog-title").textContent = `${l.locker_code} · ${t(`status_${l.status}`)}`;
  $("#locker-dialog-facts").textContent = `${l.location} · ${t(`size_${l.size}`)} · ${t(`door_${l.door_state}`)}`;
  $("#force-confirm-text").textContent = t("confirm_open", { code: l.locker_code });
  $("#locker-dialog").showModal();
}

async function forceOpen(ev) {
  ev.preventDefault();
  const form = ev.target;
  const l = state.lockers.get(state.forceId);
  if (!l || !form.reportValidity()) return;
  const button = $("#force-submit");
  button.disabled = true;
  try {
    await api.post(`/api/v1/lockers/${l.id}/force-open`, { reason: form.reason.value.trim() },
      { "Idempotency-Key": crypto.randomUUID() });
    $("#locker-dialog").close();
    toast(t("forced", { code: l.locker_code }), "good");
  } catch (e) {
    $("#force-error").textContent = describe(e);
  } finally {
    button.disabled = false;
  }
}

// ---- sessions (the transaction log, filterable) ----------------------------------------

async function loadSessions() {
  if (!state.lockers.size) await loadLockerList();
  const f = new FormData($("#sessions-filter"));
  const params = Object.fromEntries([...f.entries()].filter(([, v]) => v !== ""));
  const data = await api.get(`/api/v1/transaction-logs${api.query({ ...params, page: state.sessionsPage, limit: 20 })}`);
  const rows = data.logs.map((r) => h("tr", {},
    h("td", {}, when(r.created_at)), h("td", {}, r.action_type), h("td", {}, r.locker_code || "—"),
    h("td", { class: "mono", title: r.session_id || "" }, r.session_id ? r.session_id.slice(-8) : "—"),
    h("td", {}, r.user_name || "—"), h("td", {}, r.auth_method || "—"), h("td", {}, r.device_info || "—")));
  $("#sessions-table tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("none")))]));
  const p = data.pagination;
  $("#sessions-page").textContent = t("page", { page: p.page, pages: Math.max(1, p.total_pages) });
  $("#sessions-prev").disabled = p.page <= 1;
  $("#sessions-next").disabled = p.page >= p.total_pages;
}

// ---- alerts -----------------------------------------------------------------------------

async function loadAlerts() {
  const f = new FormData($("#alerts-filter"));
  const params = Object.fromEntries([...f.entries()].filter(([, v]) => v !== ""));
  const data = await api.get(`/api/v1/security-alerts${api.query({ ...params, limit: 100 })}`);
  const rows = data.alerts.map((a) => h("tr", { class: `sev-${a.severity}`, dataset: { alertId: a.id } },
    h("td", {}, when(a.created_at)), h("td", {}, h("span", { class: `badge ${a.severity}` }, a.severity)),
    h("td", {}, a.alert_type), h("td", {}, a.locker_code || "—"), h("td", {}, a.description),
    h("td", {}, a.is_resolved ? `${t("resolved")}${a.resolution_note ? `: ${a.resolution_note}` : ""}` : t("unresolved")),
    h("td", {}, a.is_resolved ? "" : h("button", { type: "button", class: "resolve", onclick: () => askResolve(a.id) }, t("resolve")))));
  $("#alerts-table tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("none")))]));
}

function askResolve(id) {
  state.alertId = id;
  $("#resolve-form").reset();
  $("#resolve-error").textContent = "";
  $("#resolve-dialog").showModal();
}

async function resolve(ev) {
  ev.preventDefault();
  const form = ev.target;
  if (!form.reportValidity()) return;
  try {
    await api.call("PATCH", `/api/v1/security-alerts/${state.alertId}/resolve`, { resolution_note: form.note.value.trim() });
    $("#resolve-dialog").close();
    toast(t("resolved_ok"), "good");
    await loadAlerts();
  } catch (e) {
    $("#resolve-error").textContent = describe(e);
  }
}

// ---- controllers ------------------------------------------------------------------------

async function loadControllers() {
  await loadBoards();
  const rows = [...state.boards.values()].map((c) => h("tr", { dataset: { board: c.esp32_id } },
    h("td", { class: "mono" }, c.esp32_id), h("td", {}, c.station),
    h("td", {}, h("span", { class: `dot ${c.is_online ? "online" : "offline"}` }), c.is_online ? t("online") : t("offline")),
    h("td", {}, c.battery_level === null ? "—" : `${c.battery_level}%`), h("td", {}, c.firmware_version || "—"),
    h("td", {}, c.last_heartbeat_at ? when(c.last_heartbeat_at) : t("never")),
    h("td", {}, h("button", { type: "button", class: "rotate", onclick: () => rotateKey(c) }, t("rotate_key")))));
  $("#controllers-table tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("none")))]));
}

/** Shows a new key once; "Done" (or leaving the screen) wipes it from the page. */
function showKeyOnce(board) {
  $("#key-once-text").textContent = t("key_once", { name: board.esp32_id });
  $("#key-once-value").textContent = board.api_key;
  $("#key-once").hidden = false;
}

function forgetKey() {
  $("#key-once-value").textContent = "";
  $("#key-once").hidden = true;
}

async function register(ev) {
  ev.preventDefault();
  const form = ev.target;
  try {
    const board = await api.post("/api/v1/controllers", { esp32_id: form.esp32_id.value.trim(), station: form.station.value.trim() || null });
    form.reset();
    showKeyOnce(board);
    await loadControllers();
  } catch (e) {
    fail(e);
  }
}

async function rotateKey(board) {
  if (!confirm(t("rotate_confirm", { name: board.esp32_id }))) return;
  try {
    showKeyOnce(await api.post(`/api/v1/controllers/${board.id}/key`, {}));
  } catch (e) {
    fail(e);
  }
}

// ---- locker management ------------------------------------------------------------------

async function loadLockers() {
  await loadLockerList();
  const lockers = [...state.lockers.values()].sort((a, b) => a.locker_code.localeCompare(b.locker_code, "en", { numeric: true }));
  const rows = lockers.map((l) => h("tr", { dataset: { code: l.locker_code } },
    h("td", { class: "mono" }, l.locker_code), h("td", {}, l.location), h("td", {}, t(`size_${l.size}`)),
    h("td", {}, l.esp32_id || "—"), h("td", {}, t(`status_${l.status}`)),
    h("td", { class: "row-actions" },
      h("button", { type: "button", class: "ghost", onclick: () => editLocker(l) }, t("edit")),
      l.status === "maintenance"
        ? h("button", { type: "button", onclick: () => setMaintenance(l, "available") }, t("maintenance_off"))
        : h("button", { type: "button", class: "warn", disabled: l.status !== "available", onclick: () => setMaintenance(l, "maintenance") }, t("maintenance_on")))));
  $("#lockers-table tbody").replaceChildren(...rows);
}

function editLocker(l) {
  const f = $("#locker-form");
  f.id.value = l.id;
  f.locker_code.value = l.locker_code;
  f.location.value = l.location;
  f.size.value = l.size;
  f.esp32_id.value = l.esp32_id || "";
  f.relay_pin.value = l.relay_pin;
  f.sensor_pin.value = l.sensor_pin;
  f.price.value = "";
  $("#locker-form-title").textContent = t("edit_locker", { code: l.locker_code });
  f.scrollIntoView({ behavior: "smooth" });
}

async function saveLocker(ev) {
  ev.preventDefault();
  const f = ev.target;
  const body = {
    locker_code: f.locker_code.value.trim(), location: f.location.value.trim(), size: f.size.value,
    esp32_id: f.esp32_id.value.trim() || null, relay_pin: Number(f.relay_pin.value), sensor_pin: Number(f.sensor_pin.value),
  };
  if (f.price.value.trim() !== "") {
    body.price_per_hour = csv.minor(f.price.value.trim());
    if (Number.isNaN(body.price_per_hour)) { f.price.reportValidity(); return; }
  }
  try {
    if (f.id.value) {
      if (body.esp32_id === null) delete body.esp32_id;
      await api.call("PUT", `/api/v1/lockers/${f.id.value}`, body);
    } else {
      await api.post("/api/v1/lockers", body);
    }
    f.reset();
    toast(t("saved"), "good");
    await loadLockers();
  } catch (e) {
    fail(e);
  }
}

async function setMaintenance(l, status) {
  const reason = status === "maintenance" ? prompt(t("reason")) : "";
  if (reason === null) return;
  try {
    await api.call("PATCH", `/api/v1/lockers/${l.id}/status`, { status, reason: reason || null });
    await loadLockers();
  } catch (e) {
    fail(e);
  }
}

/** Reads the chosen CSV in the browser and posts each row; reports every row. */
async function importCsv(ev) {
  const file = ev.target.files[0];
  const report = $("#csv-report");
  report.replaceChildren();
  if (!file) return;
  let rows;
  try {
    rows = csv.lockers(await file.text());
  } catch (e) {
    report.append(h("li", { class: "bad" }, e.message));
    return;
  }
  let ok = 0;
  for (const row of rows) {
    if (row.error) { report.append(h("li", { class: "bad" }, t("row_failed", { line: row.line, error: row.error }))); continue; }
    try {
      await api.post("/api/v1/lockers", row.body);
      ok += 1;
      report.append(h("li", { class: "good" }, t("created", { line: row.line, code: row.body.locker_code })));
    } catch (e) {
      report.append(h("li", { class: "bad" }, t("row_failed", { line: row.line, error: describe(e) })));
    }
  }
  report.prepend(h("li", { class: "total" }, t("imported", { ok, bad: rows.length - ok })));
  ev.target.value = "";
  await loadLockers();
}

// ---- statistics -------------------------------------------------------------------------

const day = (d) => d.toISOString().slice(0, 10);

async function allLogs(from) {
  const out = [];
  for (let page = 1; page <= 20; page++) {
    const data = await api.get(`/api/v1/transaction-logs${api.query({ from_date: from, page, limit: 100 })}`);
    out.push(...data.logs);
    if (page >= data.pagination.total_pages) break;
  }
  return out;
}

async function loadStats() {
  const now = Date.now();
  const since = new Date(now - 24 * 3600e3).toISOString().replace(/\.\d{3}Z$/, "Z");
  const [lockers, logs, daily, revenue] = await Promise.all([
    loadLockerList(),
    allLogs(since),
    api.get(`/api/v1/statistics/usage/daily${api.query({ from_date: day(new Date(now - 13 * 864e5)), to_date: day(new Date(now)) })}`),
    api.get("/api/admin/revenue/?days=30").catch(() => null),
  ]);
  const inWindow = new Set(logs.filter((l) => l.action_type === "check_in").map((l) => l.locker_id));
  const openBefore = lockers.lockers.filter((l) => l.status === "in_use" && !inWindow.has(l.id)).length;
  const hours = occupancy(logs, now, 24, openBefore);
  const hourLabels = hours.map((_, i) => `${String(new Date(now - (23 - i) * 3600e3).getHours()).padStart(2, "0")}h`);
  barChart($("#chart-occupancy"), { labels: hourLabels, values: hours, title: t("occupancy"), empty: t("no_data") });
  const days = daily.daily_usage;
  barChart($("#chart-checkins"), { labels: days.map((d) => d.date.slice(5)), values: days.map((d) => d.check_ins), title: t("checkins"), empty: t("no_data") });
  if (revenue) {
    const byDay = new Map(revenue.daily_revenue.map((d) => [d.date, d.revenue]));
    const dates = [...Array(30)].map((_, i) => day(new Date(now - (29 - i) * 864e5)));
    barChart($("#chart-revenue"), { labels: dates.map((d) => d.slice(5)), values: dates.map((d) => byDay.get(d) || 0), title: t("revenue"), format: money, empty: t("no_data") });
    $("#revenue-total").textContent = t("total_revenue", { amount: money(revenue.total_revenue), orders: revenue.total_orders });
  }
}

// ---- wiring -----------------------------------------------------------------------------

function wire() {
  const lang = $("#lang");
  lang.value = current();
  lang.addEventListener("change", () => { use(lang.value); if (api.token()) show(state.view); });
  $("#signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    try {
      await api.signIn(f.email.value.trim(), f.password.value);
      f.reset();
      await signedIn();
    } catch (e) {
      $("#signin-error").textContent = e.code === "ADMIN_ONLY" ? t("admin_only") : e.status === 401 ? t("bad_login") : describe(e);
    }
  });
  $("#sign-out").addEventListener("click", async () => { await api.signOut(); showSignIn(); });
  for (const b of document.querySelectorAll("#nav button")) b.addEventListener("click", () => { forgetKey(); show(b.dataset.view); });
  $("#force-form").addEventListener("submit", forceOpen);
  $("#force-cancel").addEventListener("click", () => $("#locker-dialog").close());
  $("#resolve-form").addEventListener("submit", resolve);
  $("#resolve-cancel").addEventListener("click", () => $("#resolve-dialog").close());
  $("#sessions-filter").addEventListener("submit", (ev) => { ev.preventDefault(); state.sessionsPage = 1; loadSessions().catch(fail); });
  $("#sessions-prev").addEventListener("click", () => { state.sessionsPage -= 1; loadSessions().catch(fail); });
  $("#sessions-next").addEventListener("click", () => { state.sessionsPage += 1; loadSessions().catch(fail); });
  $("#alerts-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadAlerts().catch(fail); });
  $("#controller-form").addEventListener("submit", register);
  $("#key-once-done").addEventListener("click", forgetKey);
  $("#locker-form").addEventListener("submit", saveLocker);
  $("#locker-form").addEventListener("reset", () => { $("#locker-form-title").textContent = t("new_locker"); });
  $("#csv-file").addEventListener("change", importCsv);
  $("#stats-refresh").addEventListener("click", () => loadStats().catch(fail));
  // Board online state changes without a /ws event: refresh it every 30 s on the grid.
  setInterval(() => { if (api.token() && state.view === "grid") loadBoards().then(renderGrid).catch(() => {}); }, 30000);
}

api.whenSignedOut(() => showSignIn(t("sign_in")));
apply();
wire();
if (api.token()) signedIn(); else showSignIn();
