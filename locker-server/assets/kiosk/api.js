// The JSON API as the kiosk uses it. Customer requests go without a token (a walk-up
// rental is a guest's); the kiosk's own sign-in (kept in sessionStorage, rotated before it
// expires) is sent only where a signed-in user is required: the pickup code and /ws.

import { ApiFailure } from './errors.js';

const STORE = 'locker.kiosk.auth';

/** The kiosk's token pair, or null. */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || 'null');
  } catch {
    return null;
  }
}

function keep(data) {
  const expiresAt = Date.now() + (Number(data.expires_in) || 3600) * 1000;
  sessionStorage.setItem(STORE, JSON.stringify({ access: data.access_token, refresh: data.refresh_token, expiresAt }));
}

/** Forgets the kiosk's sign-in. */
export function forget() {
  sessionStorage.removeItem(STORE);
}

async function call(method, path, { body, form, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  } catch {
    throw new ApiFailure(0, null);
  }
  const json = await res.json().catch(() => null);
  if (!res.ok || (json && json.success === false)) throw new ApiFailure(res.status, json);
  return json;
}

/** Signs the kiosk in (seed 000 login) and keeps the token pair. */
export async function signIn(email, password) {
  const res = await call('POST', '/api/v1/auth/login', { body: { email, password } });
  keep(res.data);
}

/** A current access token, rotated through the refresh token when it is about to expire. */
export async function accessToken() {
  const s = session();
  if (!s) return null;
  if (Date.now() < s.expiresAt - 120000) return s.access;
  try {
    const res = await call('POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh } });
    keep({ ...res.data, refresh_token: res.data.refresh_token || s.refresh });
    return session().access;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) forget();
    throw err;
  }
}

function photoForm(photo) {
  const form = new FormData();
  form.append('face_image', photo, 'face.jpg');
  return form;
}

/** Check-in by face as a guest: `{session_id, locker: {locker_code, ...}, ...}`. */
export async function checkInFace(photo) {
  return (await call('POST', '/api/v1/sessions/check-in/face', { form: photoForm(photo) })).data;
}

/** Check-out by face alone (the face finds the session). */
export async function checkOutFace(photo) {
  return (await call('POST', '/api/v1/sessions/check-out/face', { form: photoForm(photo) })).data;
}

/** What a scanned QR token is for: `{action, session_id, ...}`. */
export async function verifyQr(token) {
  return (await call('POST', '/api/v1/qr-tokens/verify', { body: { token } })).data;
}

/** Check-in by QR token. */
export async function checkInQr(token) {
  return (await call('POST', '/api/v1/sessions/check-in/qr', { body: { qr_token: token } })).data;
}

/** Check-out of `sessionId` by QR token. */
export async function checkOutQr(sessionId, token) {
  const path = `/api/v1/sessions/${encodeURIComponent(sessionId)}/check-out`;
  return (await call('POST', path, { body: { qr_token: token } })).data;
}

/** Seed 001: opens `locker` with its pickup code (as the kiosk's account). */
export async function openByCode(locker, code) {
  const token = await accessToken();
  const res = await call('POST', '/api/devices/open/by-code/', { body: { cabinet_id: locker, pickup_code: code }, token });
  return res.data;
}
