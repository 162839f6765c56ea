//! The locker service for C kiosks (`locker_core::kiosk::Service`): opened on a database URL
//! and a key folder with one controller (simulator or serial port), check-in / reopen /
//! check-out by QR or face, locker listing (JSON) and a blocking event pull (JSON).

use std::ffi::c_char;
use std::time::Duration;

use locker_core::domain::{Locker, Rental};
use locker_core::kiosk::{ControllerChoice, Service, ServiceOptions};
use locker_core::service::{CheckIn, CheckedOut, Proof, Reopened};

use crate::error::{Fail, locker_result};
use crate::ffi::{
    Castable, check_out, copy_cstr, ffi_panic_boundary, free_handle, to_handle, try_opt_str, try_ref, try_slice,
    try_str, write_out,
};
use crate::memory::to_c_string;

/// A running locker service with its controller and timers (opaque). Safe to share between
/// threads.
pub struct locker_service {
    _private: [u8; 0],
}

impl Castable for locker_service {
    type Inner = Service;
}

/// How to open a service. Zero-initialise it and fill what you need; NULL strings take the
/// defaults given per field.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct locker_service_options {
    /// Required: `sqlite:/path/locker.db` (created if missing) or `postgres://...`; migrated on open.
    pub database_url: *const c_char,
    /// Required: the key folder (created with fresh QR, JWT and face-template keys when empty).
    pub keys_dir: *const c_char,
    /// Face models folder, or NULL for no face check-in (face calls then fail with `LOCKER_RESULT_CONFIG`).
    pub models_dir: *const c_char,
    /// Serial device of a real controller, or NULL for the in-process simulator.
    pub serial_port: *const c_char,
    /// Driver for `serial_port` (`"v1"` when NULL).
    pub driver: *const c_char,
    /// Simulator channels (1..=255); ignored with `serial_port`.
    pub sim_channels: u8,
    /// Simulator: a simulated customer opens each unlocked door after this many ms and shuts it
    /// after as long again; 0 leaves doors to `locker_service_sim_set_door`.
    pub sim_person_ms: u32,
    /// The controller record the lockers are wired to (`"SIM_001"` when NULL; created if missing).
    pub controller_name: *const c_char,
    /// This kiosk's name in the transaction log (`"kiosk"` when NULL).
    pub kiosk_name: *const c_char,
}

/// The outcome of a check-in, reopen or check-out.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct locker_session {
    /// The rental (session) id, UUID text.
    pub rental_id: [c_char; 37],
    /// Its state now: `"opening"` (door not yet shut after check-in), `"active"`, `"completed"`.
    pub state: [c_char; 16],
    /// The locker's id, UUID text.
    pub locker_id: [c_char; 37],
    /// The locker's code (`"A01"`).
    pub locker_code: [c_char; 33],
    /// The controller channel of the locker's relay.
    pub channel: u16,
    /// The face match score (0 when `has_score` is false).
    pub match_score: f32,
    /// Whether the proof was a face and `match_score` is set.
    pub has_score: bool,
}

impl locker_session {
    fn new(rental: &Rental, locker: &Locker, score: Option<f32>) -> Result<Self, Fail> {
        Ok(Self {
            rental_id: copy_cstr(&rental.id.to_string(), "rental_id")?,
            state: copy_cstr(rental.state.as_str(), "state")?,
            locker_id: copy_cstr(&locker.id.to_string(), "locker_id")?,
            locker_code: copy_cstr(&locker.code, "locker_code")?,
            channel: locker.relay_channel,
            match_score: score.unwrap_or(0.0),
            has_score: score.is_some(),
        })
    }
}

fn opt_string(s: *const c_char, what: &str, default: &str) -> Result<String, Fail> {
    Ok(unsafe { try_opt_str(s, what) }?.unwrap_or(default).to_owned())
}

impl locker_service_options {
    fn to_core(self) -> Result<ServiceOptions, Fail> {
        let database_url = unsafe { try_str(self.database_url, "database_url") }?.to_owned();
        let keys_dir = unsafe { try_str(self.keys_dir, "keys_dir") }?.into();
        let models_dir = unsafe { try_opt_str(self.models_dir, "models_dir") }?.map(Into::into);
        let controller = match unsafe { try_opt_str(self.serial_port, "serial_port") }? {
            Some(path) => ControllerChoice::Serial {
                path: path.to_owned(),
                driver: unsafe { try_opt_str(self.driver, "driver") }?.map(str::to_owned),
            },
            None => ControllerChoice::Simulator {
                channels: self.sim_channels,
                person: (self.sim_person_ms > 0).then(|| Duration::from_millis(u64::from(self.sim_person_ms))),
            },
        };
        Ok(ServiceOptions {
            database_url,
            keys_dir,
            models_dir,
            controller,
            controller_name: opt_string(self.controller_name, "controller_name", "SIM_001")?,
            kiosk: opt_string(self.kiosk_name, "kiosk_name", "kiosk")?,
        })
    }
}

/// Runs `body` on the live service `svc` and writes its session to `out`.
fn session_call(
    svc: *const locker_service,
    out: *mut locker_session,
    body: impl FnOnce(&Service) -> Result<locker_session, Fail>,
) -> locker_result {
    ffi_panic_boundary(|| {
        let kiosk = unsafe { try_ref(svc, "service") }?;
        check_out(out, "out_session")?;
        let session = body(kiosk)?;
        unsafe { write_out(out, session) };
        Ok(())
    })
}

fn checked_in(c: CheckIn) -> Result<locker_session, Fail> {
    locker_session::new(&c.rental, &c.locker, None)
}

fn reopened(r: Reopened) -> Result<locker_session, Fail> {
    locker_session::new(&r.rental, &r.locker, r.match_score)
}

fn checked_out(c: CheckedOut) -> Result<locker_session, Fail> {
    locker_session::new(&c.rental, &c.locker, c.match_score)
}

/// The rental id and QR proof arguments of a reopen or check-out.
///
/// # Safety
/// Both are NULL or NUL-terminated strings that outlive the call.
unsafe fn rental_and_qr<'a>(rental_id: *const c_char, qr_token: *const c_char) -> Result<(&'a str, Proof), Fail> {
    let rental_id = unsafe { try_str(rental_id, "rental_id") }?;
    let token = unsafe { try_str(qr_token, "qr_token") }?;
    Ok((rental_id, Proof::Qr(token.to_owned())))
}

/// Returns JSON text from `body` through `out_json` (release it with `locker_string_free`).
fn json_call<T: serde::Serialize>(
    svc: *const locker_service,
    out_json: *mut *mut c_char,
    body: impl FnOnce(&Service) -> Result<T, Fail>,
) -> locker_result {
    ffi_panic_boundary(|| {
        let kiosk = unsafe { try_ref(svc, "service") }?;
        check_out(out_json, "out_json")?;
        let value = body(kiosk)?;
        let text = serde_json::to_string(&value).map_err(|e| Fail::new(locker_result::Internal, e.to_string()))?;
        unsafe { write_out(out_json, to_c_string(text)?) };
        Ok(())
    })
}

/// Opens the service: migrates the database, loads or creates the keys, loads the face
/// models (when `models_dir` is set), starts the controller, creates its record when missing,
/// and starts the service's timers. Release it with `locker_service_free`.
///
/// # Safety
/// `options` points at a `locker_service_options` whose strings are NULL or NUL-terminated;
/// `out_service` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_open(
    options: *const locker_service_options,
    out_service: *mut *mut locker_service,
) -> locker_result {
    ffi_panic_boundary(|| {
        let options = unsafe { options.as_ref() }.ok_or_else(|| Fail::null("options"))?;
        check_out(out_service, "out_service")?;
        let kiosk = Service::open(options.to_core()?)?;
        unsafe { write_out(out_service, to_handle::<locker_service>(kiosk)) };
        Ok(())
    })
}

/// Stops the service (timers, controller) and sets `*service` to NULL. NULL is a no-op.
///
/// # Safety
/// `service` is NULL or points at NULL or at a live service.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_free(service: *mut *mut locker_service) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(service) };
        Ok(())
    });
}

/// Creates a customer account named `full_name` with e-mail `email` (no password), so QR
/// tokens can name it. `*out_user_id` (UUID text) must be released using `locker_string_free`.
/// A taken e-mail is `LOCKER_RESULT_ALREADY_EXISTS`.
///
/// # Safety
/// `service` is live; strings are NUL-terminated; `out_user_id` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_add_user(
    service: *const locker_service,
    full_name: *const c_char,
    email: *const c_char,
    out_user_id: *mut *mut c_char,
) -> locker_result {
    ffi_panic_boundary(|| {
        let kiosk = unsafe { try_ref(service, "service") }?;
        let name = unsafe { try_str(full_name, "full_name") }?;
        let email = unsafe { try_str(email, "email") }?;
        check_out(out_user_id, "out_user_id")?;
        let user = kiosk.add_user(name, email)?;
        unsafe { write_out(out_user_id, to_c_string(user.id.to_string())?) };
        Ok(())
    })
}

/// Adds locker `code` of `size` (`"small"`, `"medium"`, `"large"`) wired to the service's
/// controller on `channel` (relay and sensor). `*out_json` is the locker as JSON and must
/// be released using `locker_string_free`. A taken code is `LOCKER_RESULT_ALREADY_EXISTS`.
///
/// # Safety
/// `service` is live; strings are NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_add_locker(
    service: *const locker_service,
    code: *const c_char,
    size: *const c_char,
    channel: u16,
    out_json: *mut *mut c_char,
) -> locker_result {
    json_call(service, out_json, |k| {
        let code = unsafe { try_str(code, "code") }?;
        let size = unsafe { try_str(size, "size") }?;
        Ok(k.add_locker(code, size, channel)?)
    })
}

/// Issues a QR token with the service's signing key, as the server does for the app:
/// `action` is `"check_in"`, `"check_out"` or `"update"`; `rental_id` (UUID text) names the
/// rental for the last two, NULL for a walk-up check-in. `*out_token` must be released
/// using `locker_string_free`.
///
/// # Safety
/// `service` is live; strings are NUL-terminated (`rental_id` may be NULL); `out_token` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_issue_qr(
    service: *const locker_service,
    action: *const c_char,
    user_id: *const c_char,
    rental_id: *const c_char,
    out_token: *mut *mut c_char,
) -> locker_result {
    ffi_panic_boundary(|| {
        let kiosk = unsafe { try_ref(service, "service") }?;
        let action = unsafe { try_str(action, "action") }?;
        let user_id = unsafe { try_str(user_id, "user_id") }?;
        let rental_id = unsafe { try_opt_str(rental_id, "rental_id") }?;
        check_out(out_token, "out_token")?;
        let token = kiosk.issue_qr(action, user_id, rental_id)?;
        unsafe { write_out(out_token, to_c_string(token)?) };
        Ok(())
    })
}

/// Check-in by QR token (single use): allocates a free locker of `size` (NULL: the default
/// size; a larger one when none is free) and opens it. The session is `"opening"` until the
/// door has been opened and shut. Failures: `LOCKER_RESULT_QR_USED`, `_QR_EXPIRED`,
/// `_TOKEN_INVALID`, `_NO_AVAILABLE_LOCKER`, `_UART_TIMEOUT`, ...
///
/// # Safety
/// `service` is live; `token` is NUL-terminated, `size` NULL or NUL-terminated; `out_session` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_check_in_qr(
    service: *const locker_service,
    token: *const c_char,
    size: *const c_char,
    out_session: *mut locker_session,
) -> locker_result {
    session_call(service, out_session, |k| {
        let token = unsafe { try_str(token, "token") }?;
        let size = unsafe { try_opt_str(size, "size") }?;
        checked_in(k.check_in_qr(token, size)?)
    })
}

/// Check-in by face: the photo's (JPEG or PNG, `len` bytes) central face becomes the
/// rental's template. `user_id` (UUID text) links a registered account, or NULL for a guest;
/// `size` as in `locker_service_check_in_qr`. Failures: `LOCKER_RESULT_FACE_NOT_FOUND`,
/// `_IMAGE_UNREADABLE`, `_CONFIG` (no models loaded), ...
///
/// # Safety
/// `service` is live; `photo` has `len` readable bytes; strings are NULL or NUL-terminated;
/// `out_session` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_check_in_face(
    service: *const locker_service,
    photo: *const u8,
    len: usize,
    user_id: *const c_char,
    size: *const c_char,
    out_session: *mut locker_session,
) -> locker_result {
    session_call(service, out_session, |k| {
        let photo = unsafe { try_slice(photo, len, "photo") }?;
        let user_id = unsafe { try_opt_str(user_id, "user_id") }?;
        let size = unsafe { try_opt_str(size, "size") }?;
        checked_in(k.check_in_face(photo, user_id, size)?)
    })
}

/// Reopens rental `rental_id` with an `"update"` QR token naming it, and fires its relay.
///
/// # Safety
/// `service` is live; strings are NUL-terminated; `out_session` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_reopen(
    service: *const locker_service,
    rental_id: *const c_char,
    qr_token: *const c_char,
    out_session: *mut locker_session,
) -> locker_result {
    session_call(service, out_session, |k| {
        let (rental_id, proof) = unsafe { rental_and_qr(rental_id, qr_token) }?;
        reopened(k.reopen(rental_id, proof)?)
    })
}

/// Reopens rental `rental_id` by face (1:1 against the template taken at check-in):
/// `LOCKER_RESULT_FACE_MISMATCH` for another face.
///
/// # Safety
/// `service` is live; `rental_id` is NUL-terminated; `photo` has `len` readable bytes;
/// `out_session` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_reopen_face(
    service: *const locker_service,
    rental_id: *const c_char,
    photo: *const u8,
    len: usize,
    out_session: *mut locker_session,
) -> locker_result {
    session_call(service, out_session, |k| {
        let rental_id = unsafe { try_str(rental_id, "rental_id") }?;
        let photo = unsafe { try_slice(photo, len, "photo") }?;
        reopened(k.reopen(rental_id, Proof::Face(photo.to_vec()))?)
    })
}

/// Ends rental `rental_id` with a `"check_out"` QR token naming it: the rental completes,
/// the locker is free again and its relay fires. A token for another rental is
/// `LOCKER_RESULT_TOKEN_INVALID`; an unknown rental `LOCKER_RESULT_NOT_FOUND`.
///
/// # Safety
/// `service` is live; strings are NUL-terminated; `out_session` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_check_out(
    service: *const locker_service,
    rental_id: *const c_char,
    qr_token: *const c_char,
    out_session: *mut locker_session,
) -> locker_result {
    session_call(service, out_session, |k| {
        let (rental_id, proof) = unsafe { rental_and_qr(rental_id, qr_token) }?;
        checked_out(k.check_out(rental_id, proof)?)
    })
}

/// Check-out by face alone: finds the active face rental whose template matches the photo
/// (1:N, open-set threshold) and ends it. No match is `LOCKER_RESULT_FACE_MISMATCH`.
///
/// # Safety
/// `service` is live; `photo` has `len` readable bytes; `out_session` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_check_out_face(
    service: *const locker_service,
    photo: *const u8,
    len: usize,
    out_session: *mut locker_session,
) -> locker_result {
    session_call(service, out_session, |k| {
        let photo = unsafe { try_slice(photo, len, "photo") }?;
        checked_out(k.check_out_by_face(photo)?)
    })
}

/// Every locker as a JSON array (code, size, status, door, ...), by code. `*out_json` must be
/// released using `locker_string_free`.
///
/// # Safety
/// `service` is live; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_lockers_json(
    service: *const locker_service,
    out_json: *mut *mut c_char,
) -> locker_result {
    json_call(service, out_json, |k| Ok(k.lockers()?))
}

/// Waits up to `timeout_ms` for the next service event, queued from the moment the service
/// was opened: `LOCKER_RESULT_OK` with `*out_json` set to
/// `{"event":"session_updated"|"locker_status_changed"|"security_alert","data":{...}}`
/// (release it with `locker_string_free`), or `LOCKER_RESULT_EMPTY` when none came in time.
///
/// # Safety
/// `service` is live; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_next_event(
    service: *const locker_service,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> locker_result {
    json_call(service, out_json, |k| {
        k.next_event(Duration::from_millis(u64::from(timeout_ms)))?
            .ok_or_else(|| Fail::new(locker_result::Empty, "no event within the timeout"))
    })
}

/// Simulator only: a person opens (`open` true) or shuts the door of `channel`; the service
/// sees it as a door sensor change. On a serial controller: `LOCKER_RESULT_UART_UNSUPPORTED`.
///
/// # Safety
/// `service` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_sim_set_door(
    service: *const locker_service,
    channel: u16,
    open: bool,
) -> locker_result {
    ffi_panic_boundary(|| Ok(unsafe { try_ref(service, "service") }?.sim_set_door(channel, open)?))
}

/// Writes whether face check-in is on (models loaded) to `*out_enabled`.
///
/// # Safety
/// `service` is live; `out_enabled` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_service_has_faces(
    service: *const locker_service,
    out_enabled: *mut bool,
) -> locker_result {
    ffi_panic_boundary(|| {
        let kiosk = unsafe { try_ref(service, "service") }?;
        check_out(out_enabled, "out_enabled")?;
        unsafe { write_out(out_enabled, kiosk.has_faces()) };
        Ok(())
    })
}
