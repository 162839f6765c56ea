//! `locker.Service`: the locker service (`locker_core::kiosk::Kiosk`) opened on a database
//! URL and a key folder with one controller, for kiosk programs in Python. Results are dicts
//! (the core's JSON shapes); every wait releases the GIL.

use std::time::Duration;

use locker_core::kiosk::{ControllerChoice, Kiosk, KioskOptions};
use locker_core::service::Proof;
use pyo3::prelude::*;

use crate::errors::PyLockerError;
use crate::wire::seconds;

/// `value` as a Python object through its JSON form (dicts, lists, str, int, float, None).
fn to_py<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyErr::from(PyLockerError { code: locker_core::ErrorCode::Internal, message: e.to_string() }))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// Exactly one of `qr_token` and `photo`, as the proof of a reopen or check-out.
fn proof(qr_token: Option<&str>, photo: Option<&[u8]>) -> Result<Proof, PyLockerError> {
    match (qr_token, photo) {
        (Some(token), None) => Ok(Proof::Qr(token.to_owned())),
        (None, Some(photo)) => Ok(Proof::Face(photo.to_vec())),
        _ => Err(PyLockerError::validation("give exactly one of qr_token and photo")),
    }
}

/// The locker service with its lock controller and timers.
///
/// ``Service.open(database_url, keys_dir, ...)`` migrates the database (``sqlite:FILE`` or
/// ``postgres://...``), loads or creates the keys, loads the face models when
/// ``models_dir`` is given, and starts the controller: the in-process simulator with
/// ``sim_channels`` locks (a simulated customer opens and shuts each unlocked door after
/// ``sim_person_ms``; 0 leaves doors to :meth:`sim_set_door`), or ``serial_port``.
///
/// Check-in, reopen and check-out return dicts with ``rental`` and ``locker`` (and
/// ``match_score`` for reopen and check-out). Errors raise the :class:`LockerError` tree.
#[pyclass(module = "locker", name = "Service", frozen)]
pub struct PyService {
    kiosk: Kiosk,
}

#[pymethods]
impl PyService {
    /// Opens the service (see the class docs).
    #[staticmethod]
    #[pyo3(signature = (database_url, keys_dir, models_dir=None, serial_port=None, driver=None,
        sim_channels=8, sim_person_ms=0, controller_name="SIM_001", kiosk="kiosk"))]
    #[allow(clippy::too_many_arguments)]
    fn open(
        py: Python<'_>,
        database_url: String,
        keys_dir: std::path::PathBuf,
        models_dir: Option<std::path::PathBuf>,
        serial_port: Option<String>,
        driver: Option<String>,
        sim_channels: u8,
        sim_person_ms: u64,
        controller_name: &str,
        kiosk: &str,
    ) -> PyResult<Self> {
        let controller = match serial_port {
            Some(path) => ControllerChoice::Serial { path, driver },
            None => ControllerChoice::Simulator {
                channels: sim_channels,
                person: (sim_person_ms > 0).then(|| Duration::from_millis(sim_person_ms)),
            },
        };
        let options = KioskOptions {
            database_url,
            keys_dir,
            models_dir,
            controller,
            controller_name: controller_name.to_owned(),
            kiosk: kiosk.to_owned(),
        };
        let kiosk = py.detach(|| Kiosk::open(options)).map_err(PyLockerError::from)?;
        Ok(Self { kiosk })
    }

    /// Whether face check-in is on (models loaded).
    #[getter]
    fn has_faces(&self) -> bool {
        self.kiosk.has_faces()
    }

    /// Creates a customer account (no password) and returns its id, so QR tokens can name it.
    fn add_user(&self, py: Python<'_>, full_name: &str, email: &str) -> PyResult<String> {
        let user = py.detach(|| self.kiosk.add_user(full_name, email)).map_err(PyLockerError::from)?;
        Ok(user.id.to_string())
    }

    /// Adds locker `code` of `size` ("small", "medium", "large") on controller `channel`;
    /// returns the locker.
    fn add_locker(&self, py: Python<'_>, code: &str, size: &str, channel: u16) -> PyResult<Py<PyAny>> {
        let locker = py.detach(|| self.kiosk.add_locker(code, size, channel)).map_err(PyLockerError::from)?;
        to_py(py, &locker)
    }

    /// Issues a QR token with the service's key (as the server does for the app):
    /// `action` is "check_in", "check_out" or "update"; `rental_id` for the last two.
    #[pyo3(signature = (action, user_id, rental_id=None))]
    fn issue_qr(&self, action: &str, user_id: &str, rental_id: Option<&str>) -> PyResult<String> {
        Ok(self.kiosk.issue_qr(action, user_id, rental_id).map_err(PyLockerError::from)?)
    }

    /// Check-in by QR token (single use; a replay raises QrUsed). The rental is "opening"
    /// until its door has been opened and shut.
    #[pyo3(signature = (token, size=None))]
    fn check_in_qr(&self, py: Python<'_>, token: &str, size: Option<&str>) -> PyResult<Py<PyAny>> {
        let done = py.detach(|| self.kiosk.check_in_qr(token, size)).map_err(PyLockerError::from)?;
        to_py(py, &done)
    }

    /// Check-in by face: the photo's (JPEG/PNG bytes) central face becomes the rental's
    /// template. Raises FaceNotFound, ImageUnreadable, ConfigError (no models), ...
    #[pyo3(signature = (photo, user_id=None, size=None))]
    fn check_in_face(
        &self,
        py: Python<'_>,
        photo: &[u8],
        user_id: Option<&str>,
        size: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let done = py.detach(|| self.kiosk.check_in_face(photo, user_id, size)).map_err(PyLockerError::from)?;
        to_py(py, &done)
    }

    /// Reopens rental `rental_id` with an "update" QR token or a face photo (1:1).
    #[pyo3(signature = (rental_id, qr_token=None, photo=None))]
    fn reopen(
        &self,
        py: Python<'_>,
        rental_id: &str,
        qr_token: Option<&str>,
        photo: Option<&[u8]>,
    ) -> PyResult<Py<PyAny>> {
        let proof = proof(qr_token, photo)?;
        let done = py.detach(|| self.kiosk.reopen(rental_id, proof)).map_err(PyLockerError::from)?;
        to_py(py, &done)
    }

    /// Ends rental `rental_id` with a "check_out" QR token or a face photo (1:1).
    #[pyo3(signature = (rental_id, qr_token=None, photo=None))]
    fn check_out(
        &self,
        py: Python<'_>,
        rental_id: &str,
        qr_token: Option<&str>,
        photo: Option<&[u8]>,
    ) -> PyResult<Py<PyAny>> {
        let proof = proof(qr_token, photo)?;
        let done = py.detach(|| self.kiosk.check_out(rental_id, proof)).map_err(PyLockerError::from)?;
        to_py(py, &done)
    }

    /// Check-out by face alone: ends the active face rental matching the photo (1:N).
    /// Raises FaceMismatch when none matches.
    fn check_out_face(&self, py: Python<'_>, photo: &[u8]) -> PyResult<Py<PyAny>> {
        let done = py.detach(|| self.kiosk.check_out_by_face(photo)).map_err(PyLockerError::from)?;
        to_py(py, &done)
    }

    /// Every locker (dicts), by code.
    fn lockers(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let lockers = py.detach(|| self.kiosk.lockers()).map_err(PyLockerError::from)?;
        to_py(py, &lockers)
    }

    /// Waits up to `timeout` seconds for the next event, queued since the service opened:
    /// ``{"event": "session_updated" | "locker_status_changed" | "security_alert", "data": {...}}``,
    /// or None when none came.
    #[pyo3(signature = (timeout=1.0))]
    fn next_event(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<Py<PyAny>>> {
        let wait = seconds(timeout)?;
        let event = py.detach(|| self.kiosk.next_event(wait)).map_err(PyLockerError::from)?;
        event.map(|e| to_py(py, &e)).transpose()
    }

    /// Simulator only: a person opens (`open=True`) or shuts the door of `channel`.
    fn sim_set_door(&self, channel: u16, open: bool) -> PyResult<()> {
        Ok(self.kiosk.sim_set_door(channel, open).map_err(PyLockerError::from)?)
    }
}
