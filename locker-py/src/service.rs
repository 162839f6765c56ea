//! `locker.Service`: the locker service (`locker_core::kiosk::Service`, C `locker_service`)
//! opened on a database URL and a key folder with one controller, for kiosk programs in
//! Python. Results are the typed classes of [`crate::records`]; every wait releases the GIL.
//! `close()` (or leaving a `with` block) stops the service; later calls raise
//! `ServiceClosed`.

use std::sync::RwLock;
use std::time::Duration;

use locker_core::kiosk::{ControllerChoice, Service, ServiceOptions};
use locker_core::service::Proof;
use pyo3::prelude::*;

use crate::errors::PyLockerError;
use crate::records::{PyCheckIn, PyCheckedOut, PyLocker, PyReopened, event_to_py};
use crate::wire::seconds;

pyo3::create_exception!(
    locker,
    ServiceClosed,
    crate::errors::Conflict,
    "The service was closed (`Service.close()` or the end of its `with` block)."
);

/// Exactly one of `qr_token` and `photo`, as the proof of a reopen or check-out.
fn proof(qr_token: Option<&str>, photo: Option<&[u8]>) -> Result<Proof, PyLockerError> {
    match (qr_token, photo) {
        (Some(token), None) => Ok(Proof::Qr(token.to_owned())),
        (None, Some(photo)) => Ok(Proof::Face(photo.to_vec())),
        _ => Err(PyLockerError::validation("give exactly one of qr_token and photo")),
    }
}

/// Why a call on the service failed: the core refused, or the service is closed.
enum Fail {
    Core(locker_core::Error),
    Closed,
}

impl From<Fail> for PyErr {
    fn from(fail: Fail) -> PyErr {
        match fail {
            Fail::Core(e) => PyLockerError::from(e).into(),
            Fail::Closed => Python::attach(|py| {
                let err = ServiceClosed::new_err("the service is closed");
                // Like every LockerError: the core's number (a state conflict).
                let _ = err.value(py).setattr("code", locker_core::ErrorCode::Conflict.as_u32());
                err
            }),
        }
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
/// Check-in returns a :class:`CheckIn`, reopen a :class:`Reopened`, check-out a
/// :class:`CheckedOut`; lockers are :class:`Locker`, events :class:`Event` subclasses.
/// Errors raise the :class:`LockerError` tree.
///
/// :meth:`close` stops the timers and the controller (idempotent); so does leaving
/// ``with Service.open(...) as svc:``. Any later call raises :class:`ServiceClosed`.
#[pyclass(module = "locker", name = "Service", frozen)]
pub struct PyService {
    /// `None` once closed. Every call holds the read lock (taken and released without the
    /// GIL), `close` the write lock, so closing waits for the calls in progress.
    inner: RwLock<Option<Service>>,
}

impl PyService {
    /// Runs `f` on the open service without the GIL; `ServiceClosed` once closed.
    fn call<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&Service) -> locker_core::Result<T> + Send) -> PyResult<T> {
        let out = py.detach(|| {
            let guard = self.inner.read().unwrap_or_else(|e| e.into_inner());
            match guard.as_ref() {
                Some(service) => f(service).map_err(Fail::Core),
                None => Err(Fail::Closed),
            }
        });
        Ok(out?)
    }
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
        let options = ServiceOptions {
            database_url,
            keys_dir,
            models_dir,
            controller,
            controller_name: controller_name.to_owned(),
            kiosk: kiosk.to_owned(),
        };
        let service = py.detach(|| Service::open(options)).map_err(PyLockerError::from)?;
        Ok(Self { inner: RwLock::new(Some(service)) })
    }

    /// Stops the service: its timers end and its controller is closed. Waits for calls in
    /// progress on other threads. Closing again does nothing.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let taken = self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(service) = taken {
                service.close();
            }
        });
    }

    /// Whether :meth:`close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the service; exceptions propagate.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!("<locker.Service {}>", if self.closed() { "closed" } else { "open" })
    }

    /// Whether face check-in is on (models loaded).
    #[getter]
    fn has_faces(&self, py: Python<'_>) -> PyResult<bool> {
        self.call(py, |s| Ok(s.has_faces()))
    }

    /// Creates a customer account (no password) and returns its id, so QR tokens can name it.
    fn add_user(&self, py: Python<'_>, full_name: &str, email: &str) -> PyResult<String> {
        let user = self.call(py, |s| s.add_user(full_name, email))?;
        Ok(user.id.to_string())
    }

    /// Adds locker `code` of `size` ("small", "medium", "large") on controller `channel`;
    /// returns the locker.
    fn add_locker(&self, py: Python<'_>, code: &str, size: &str, channel: u16) -> PyResult<PyLocker> {
        let locker = self.call(py, |s| s.add_locker(code, size, channel))?;
        Ok(PyLocker::from_core(locker))
    }

    /// Issues a QR token with the service's key (as the server does for the app):
    /// `action` is "check_in", "check_out" or "update"; `rental_id` for the last two.
    #[pyo3(signature = (action, user_id, rental_id=None))]
    fn issue_qr(&self, py: Python<'_>, action: &str, user_id: &str, rental_id: Option<&str>) -> PyResult<String> {
        self.call(py, |s| s.issue_qr(action, user_id, rental_id))
    }

    /// Check-in by QR token (single use; a replay raises QrUsed). The rental is "opening"
    /// until its door has been opened and shut.
    #[pyo3(signature = (token, size=None))]
    fn check_in_qr(&self, py: Python<'_>, token: &str, size: Option<&str>) -> PyResult<PyCheckIn> {
        let done = self.call(py, |s| s.check_in_qr(token, size))?;
        PyCheckIn::from_core(py, done)
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
    ) -> PyResult<PyCheckIn> {
        let done = self.call(py, |s| s.check_in_face(photo, user_id, size))?;
        PyCheckIn::from_core(py, done)
    }

    /// Reopens rental `rental_id` with an "update" QR token or a face photo (1:1).
    #[pyo3(signature = (rental_id, qr_token=None, photo=None))]
    fn reopen(
        &self,
        py: Python<'_>,
        rental_id: &str,
        qr_token: Option<&str>,
        photo: Option<&[u8]>,
    ) -> PyResult<PyReopened> {
        let proof = proof(qr_token, photo)?;
        let done = self.call(py, |s| s.reopen(rental_id, proof))?;
        PyReopened::from_core(py, done)
    }

    /// Ends rental `rental_id` with a "check_out" QR token or a face photo (1:1).
    #[pyo3(signature = (rental_id, qr_token=None, photo=None))]
    fn check_out(
        &self,
        py: Python<'_>,
        rental_id: &str,
        qr_token: Option<&str>,
        photo: Option<&[u8]>,
    ) -> PyResult<PyCheckedOut> {
        let proof = proof(qr_token, photo)?;
        let done = self.call(py, |s| s.check_out(rental_id, proof))?;
        PyCheckedOut::from_core(py, done)
    }

    /// Check-out by face alone: ends the active face rental matching the photo (1:N).
    /// Raises FaceMismatch when none matches.
    fn check_out_face(&self, py: Python<'_>, photo: &[u8]) -> PyResult<PyCheckedOut> {
        let done = self.call(py, |s| s.check_out_by_face(photo))?;
        PyCheckedOut::from_core(py, done)
    }

    /// Every locker, by code.
    fn lockers(&self, py: Python<'_>) -> PyResult<Vec<PyLocker>> {
        let lockers = self.call(py, |s| s.lockers())?;
        Ok(lockers.into_iter().map(PyLocker::from_core).collect())
    }

    /// Waits up to `timeout` seconds for the next event, queued since the service opened:
    /// a :class:`SessionUpdated`, :class:`LockerStatusChanged` or :class:`SecurityAlert`
    /// (subclasses of :class:`Event`), or None when none came.
    #[pyo3(signature = (timeout=1.0))]
    fn next_event(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<Py<PyAny>>> {
        let wait = seconds(timeout)?;
        let event = self.call(py, |s| s.next_event(wait))?;
        event.map(|e| event_to_py(py, e)).transpose()
    }

    /// Simulator only: a person opens (`open=True`) or shuts the door of `channel`.
    fn sim_set_door(&self, py: Python<'_>, channel: u16, open: bool) -> PyResult<()> {
        self.call(py, |s| s.sim_set_door(channel, open))
    }
}
