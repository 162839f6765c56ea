// The kiosk screen: which screen shows, and the customer flows (face, QR, pickup code)
// from the first touch to the closed door. `document.body.dataset.screen` names the
// screen shown and `#door-step[data-phase]` the door's phase, for people and tests alike.

import * as api from './api.js';
import * as camera from './camera.js';
import { DoorWatch, EventLink, Phase } from './door.js';
import { customerMessage, kioskError } from './errors.js';
import { pickLanguage, setLanguage, t, translate } from './i18n.js';

const $ = (id) => document.getElementById(id);
const SCREENS = ['setup', 'home', 'camera', 'pickup', 'door', 'error'];
/** How long a finished or failed screen stays before the kiosk goes back to the start. */
const BACK_HOME_MS = { done: 6000, error: 30000, stalled: 90000 };

const watch = new DoorWatch();
let link = null;
let linked = false;
let aborter = null;
let homeTimer = null;
let redraw = () => {};

function show(name, draw = () => {}) {
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
  document.body.dataset.screen = name;
  redraw = draw;
  draw();
}

function later(ms) {
  clearTimeout(homeTimer);
  homeTimer = setTimeout(home, ms);
}

function home() {
  clearTimeout(homeTimer);
  if (aborter) aborter.abort();
  aborter = null;
  camera.stop($('camera-video'));
  watch.clear();
  show('home', () => {
    $('link-state').textContent = linked ? '' : t('home.offline');
  });
}

function fail(err, retry) {
  camera.stop($('camera-video'));
  watch.clear();
  const key = customerMessage(err);
  show('error', () => {
    $('error-title').textContent = t('error.title');
    $('error-text').textContent = t(key);
  });
  $('error-text').dataset.reason = key;
  $('error-retry').onclick = retry;
  later(BACK_HOME_MS.error);
}

// --- the door -------------------------------------------------------------------------

function showDoor(code, purpose, mark) {
  watch.follow(code, mark);
  show('door', () => drawDoor(code, purpose));
  later(BACK_HOME_MS.stalled);
}

function drawDoor(code, purpose) {
  const phase = watch.phase();
  if (!phase) return;
  const step = $('door-step');
  const detail = $('door-detail');
  $('door-locker').textContent = code;
  step.dataset.phase = phase;
  step.className = `door-step ${phase === Phase.DONE ? 'done' : 'wait'}`;
  const hint = purpose === 'in' ? 'door.openIn' : 'door.openOut';
  if (phase === Phase.OPENING) {
    step.textContent = t('door.open', { locker: code });
    detail.textContent = t(hint);
  } else if (phase === Phase.OPEN) {
    step.textContent = t('door.close');
    detail.textContent = t(hint);
  } else if (phase === Phase.DONE) {
    step.textContent = t(purpose === 'in' ? 'door.doneIn' : 'door.doneOut', { locker: code });
    detail.textContent = purpose === 'in' ? t('door.doneHint') : '';
  } else {
    step.textContent = t('door.stuck', { locker: code });
    detail.textContent = '';
  }
  $('door-home').hidden = phase !== Phase.DONE && phase !== Phase.STUCK;
}

function onEvent(event) {
  const before = watch.phase();
  const now = watch.feed(event);
  if (now === before || document.body.dataset.screen !== 'door') return;
  redraw();
  if (now === Phase.DONE || now === Phase.STUCK) later(BACK_HOME_MS.done);
}

function onLink(up) {
  linked = up;
  if (document.body.dataset.screen === 'home') redraw();
}

// --- the flows ------------------------------------------------------------------------

async function countdown(signal) {
  for (const n of ['3', '2', '1']) {
    $('camera-count').textContent = n;
    await new Promise((r) => setTimeout(r, 400));
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  }
  $('camera-count').textContent = '';
}

function openCamera(title, hint) {
  show('camera', () => {
    $('camera-title').textContent = t(title);
    $('camera-hint').textContent = t(hint);
  });
  $('camera-count').textContent = '';
  aborter = new AbortController();
  return aborter.signal;
}

function working() {
  show('camera', () => {
    $('camera-title').textContent = t('camera.working');
    $('camera-hint').textContent = '';
  });
}

async function faceFlow(purpose) {
  const video = $('camera-video');
  const signal = openCamera('camera.face', 'camera.faceHint');
  try {
    await camera.start(video);
    await countdown(signal);
    const photo = await camera.snapshot(video);
    camera.stop(video);
    working();
    const mark = watch.mark();
    const done = purpose === 'in' ? await api.checkInFace(photo) : await api.checkOutFace(photo);
    const code = purpose === 'in' ? done.locker.locker_code : done.locker_code;
    showDoor(code, purpose, mark);
  } catch (err) {
    if (err.name !== 'AbortError') fail(err, () => faceFlow(purpose));
  }
}

async function qrFlow(purpose) {
  const video = $('camera-video');
  const signal = openCamera('camera.qr', 'camera.qrHint');
  try {
    await camera.start(video);
    const token = await camera.scanQr(video, signal);
    camera.stop(video);
    working();
    const claims = await api.verifyQr(token);
    const mark = watch.mark();
    let code;
    if (purpose === 'in' && claims.action === 'check_in') code = (await api.checkInQr(token)).locker.locker_code;
    else if (purpose === 'out' && claims.action === 'check_out') code = (await api.checkOutQr(claims.session_id, token)).locker_code;
    else throw kioskError('error.qrWrongAction');
    showDoor(code, purpose, mark);
  } catch (err) {
    if (err.name !== 'AbortError') fail(err, () => qrFlow(purpose));
  }
}

let pickupField = 'pickup-locker';

function pickupFlow() {
  $('pickup-locker').value = '';
  $('pickup-code').value = '';
  pickupField = 'pickup-locker';
  show('pickup');
  later(BACK_HOME_MS.error);
}

function key(k) {
  later(BACK_HOME_MS.error);
  if (k === 'next') {
    pickupField = pickupField === 'pickup-locker' ? 'pickup-code' : 'pickup-locker';
    return;
  }
  const field = $(pickupField);
  if (k === 'back') field.value = field.value.slice(0, -1);
  else if (field.value.length < field.maxLength && (pickupField === 'pickup-locker' || /\d/.test(k))) field.value += k;
}

async function openByCode() {
  const locker = $('pickup-locker').value.trim().toUpperCase();
  const code = $('pickup-code').value.trim();
  if (!locker || !/^\d{6}$/.test(code)) return fail(kioskError('error.codeInvalid'), pickupFlow);
  working();
  try {
    const mark = watch.mark();
    const done = await api.openByCode(locker, code);
    showDoor(done.cabinet_id || locker, 'out', mark);
  } catch (err) {
    fail(err, pickupFlow);
  }
}

// --- set-up ---------------------------------------------------------------------------

function startLink() {
  if (link) link.stop();
  link = new EventLink(api.accessToken, onEvent, onLink);
  link.start();
}

async function setUp(event) {
  event.preventDefault();
  $('setup-error').textContent = '';
  try {
    await api.signIn($('setup-email').value.trim(), $('setup-password').value);
    $('setup-password').value = '';
    startLink();
    home();
  } catch {
    $('setup-error').textContent = t('setup.failed');
  }
}

function language(lang) {
  setLanguage(lang);
  translate(document);
  redraw();
}

function wire() {
  $('setup-form').addEventListener('submit', setUp);
  $('go-checkin-face').addEventListener('click', () => faceFlow('in'));
  $('go-checkout-face').addEventListener('click', () => faceFlow('out'));
  $('go-checkin-qr').addEventListener('click', () => qrFlow('in'));
  $('go-checkout-qr').addEventListener('click', () => qrFlow('out'));
  $('go-pickup').addEventListener('click', pickupFlow);
  $('camera-cancel').addEventListener('click', home);
  $('pickup-cancel').addEventListener('click', home);
  $('pickup-open').addEventListener('click', openByCode);
  $('door-home').addEventListener('click', home);
  $('error-home').addEventListener('click', home);
  $('pickup-locker').addEventListener('focus', () => (pickupField = 'pickup-locker'));
  $('pickup-code').addEventListener('focus', () => (pickupField = 'pickup-code'));
  for (const b of document.querySelectorAll('[data-key]')) b.addEventListener('click', () => key(b.dataset.key));
  for (const b of document.querySelectorAll('[data-lang]')) b.addEventListener('click', () => language(b.dataset.lang));
}

wire();
language(pickLanguage(navigator.languages || [navigator.language]));
if (api.session()) {
  startLink();
  home();
} else {
  show('setup');
}
