// What a refused request means to a customer: the API's error code (seed 000's
// `error.code`, or seed 001's HTTP status and message) to a key of the kiosk's words.

/** A failed request: the HTTP status and the seed envelope (or null when unreachable). */
export class ApiFailure extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }

  /** Seed 000's `error.code` (`FACE_MISMATCH`, ...), or '' for another envelope. */
  get code() {
    return (this.body && this.body.error && this.body.error.code) || '';
  }
}

const BY_CODE = {
  FACE_NOT_FOUND: 'error.noFace',
  FACE_TOO_SMALL: 'error.noFace',
  IMAGE_TOO_SMALL: 'error.noFace',
  IMAGE_UNREADABLE: 'error.noFace',
  IMAGE_EMPTY: 'error.noFace',
  MULTIPLE_FACES: 'error.manyFaces',
  FACE_MISMATCH: 'error.notRecognised',
  NO_AVAILABLE_LOCKER: 'error.noLocker',
  LOCKER_IN_USE: 'error.doorBusy',
  CONFLICT: 'error.doorBusy',
  INVALID_STATE: 'error.doorBusy',
  QR_USED: 'error.qrInvalid',
  QR_EXPIRED: 'error.qrInvalid',
  TOKEN_INVALID: 'error.qrInvalid',
  TOKEN_EXPIRED: 'error.qrInvalid',
  SESSION_NOT_FOUND: 'error.noSession',
  RATE_LIMITED: 'error.tooMany',
  HARDWARE_ERROR: 'error.hardware',
  UART_TIMEOUT: 'error.hardware',
};

/** The words for `err` (an ApiFailure, a camera error, or anything thrown). */
export function customerMessage(err) {
  if (err && err.kioskKey) return err.kioskKey;
  if (!(err instanceof ApiFailure)) return err && err.name === 'TypeError' ? 'error.offline' : 'error.generic';
  if (BY_CODE[err.code]) return BY_CODE[err.code];
  if (err.status === 0) return 'error.offline';
  if (err.status === 429) return 'error.tooMany';
  // Seed 001 (pickup codes): a busy door says so; any other refusal is a wrong code.
  if (err.body && typeof err.body.code === 'number') {
    if (String(err.body.message || '').includes('柜门正忙')) return 'error.doorBusy';
    if (err.status === 400 || err.status === 404) return 'error.codeInvalid';
  }
  if (err.status >= 500) return 'error.hardware';
  return 'error.generic';
}

/** An error carrying a key of the kiosk's words directly. */
export function kioskError(key) {
  const err = new Error(key);
  err.kioskKey = key;
  return err;
}
