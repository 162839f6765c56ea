// The JSON API as the console uses it: the seed-000 login, its access token kept in
// sessionStorage (gone when the tab closes), calls that unwrap the envelope or throw an
// ApiError carrying the server's code, and the /ws event stream.

const TOKEN = "locker.console.token";

/** An error answer: `code` and `message` from the envelope, `status` from HTTP. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || null;
  }
}

export const token = () => sessionStorage.getItem(TOKEN);
export const forget = () => sessionStorage.removeItem(TOKEN);

/** Called when the server refuses the token (401): the app shows the sign-in form. */
let onUnauthorized = () => {};
export const whenSignedOut = (f) => { onUnauthorized = f; };

/**
 * `method path` with the token and an optional JSON body; resolves to the answer's `data`
 * (seed 000 `{success, data}` and seed 001 `{code, data}` envelopes alike).
 */
export async function call(method, path, body, headers = {}) {
  const h = { Accept: "application/json", ...headers };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  const init = { method, headers: h };
  if (body !== undefined) {
    h["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "NETWORK", String(e));
  }
  let json = null;
  try { json = await res.json(); } catch (_) { /* not JSON */ }
  if (res.status === 401 && t) {
    forget();
    onUnauthorized();
  }
  const failed = !res.ok || (json && (json.success === false || (typeof json.code === "number" && json.code >= 400)));
  if (failed) {
    const e = (json && json.error) || {};
    throw new ApiError(res.status, e.code || (json && String(json.code)) || String(res.status),
      e.message || (json && json.message) || res.statusText, e.details);
  }
  return json ? json.data : null;
}

export const get = (path) => call("GET", path);
export const post = (path, body, headers) => call("POST", path, body, headers);

/** Signs in; only an admin may use the console. Resolves to the user. */
export async function signIn(email, password) {
  const data = await call("POST", "/api/v1/auth/login", { email, password });
  if (!data || !data.user || data.user.role !== "admin") {
    if (data && data.access_token) {
      // End the login we will not use.
      await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${data.access_token}` } })
        .catch(() => {});
    }
    throw new ApiError(403, "ADMIN_ONLY", "admin only");
  }
  sessionStorage.setItem(TOKEN, data.access_token);
  return data.user;
}

export async function signOut() {
  try { await call("POST", "/api/v1/auth/logout", {}); } catch (_) { /* signed out anyway */ }
  forget();
}

/** A query string of the non-empty entries of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * The /ws event stream: sends the token first, calls `onEvent({event, data})` for each
 * event and `onState(live)` when the link goes up or down; reconnects with backoff.
 * Returns a function that closes it for good.
 */
export function events(onEvent, onState) {
  let socket = null;
  let closed = false;
  let delay = 500;
  const open = () => {
    if (closed || !token()) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${proto}//${location.host}/ws`);
    socket.onopen = () => socket.send(token());
    socket.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (_) { return; }
      if (ev.event === "authenticated") { delay = 500; onState(true); return; }
      if (ev.event === "error") { closed = true; onState(false); return; }
      onEvent(ev);
    };
    socket.onclose = () => {
      onState(false);
      if (!closed) { setTimeout(open, delay); delay = Math.min(delay * 2, 10000); }
    };
  };
  open();
  return () => { closed = true; if (socket) socket.close(); };
}
