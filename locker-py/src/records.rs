//! What `locker.Service` returns, as typed, immutable classes: [`PyLocker`], [`PyRental`],
//! [`PyCheckIn`], [`PyReopened`], [`PyCheckedOut`], and the events ([`PyEvent`] with one
//! subclass per kind).
//!
//! Each class exposes its fields as read-only attributes with Python types (ids as `str`,
//! states and sizes as their snake_case names, money in minor units as `int`, times as
//! timezone-aware `datetime` in UTC), compares equal field by field, prints every field in
//! its `repr`, and keeps the core value it was made from, so `to_dict()` gives exactly the
//! core's JSON shape (what `Service` returned before these classes existed).

use chrono::{DateTime, Utc};
use locker_core::domain::{Locker, Rental};
use locker_core::service::{CheckIn, CheckedOut, Reopened, ServiceEvent};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::PyLockerError;

/// `value` as a Python object through its JSON form (dicts, lists, str, int, float, None).
pub(crate) fn to_py<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyErr::from(PyLockerError { code: locker_core::ErrorCode::Internal, message: e.to_string() }))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// The snake_case name serde gives a unit enum value (`LockerStatus::InUse` is `in_use`).
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}

/// `fields` as the tuple `__match_args__` is.
fn match_args(py: Python<'_>, fields: &[&str]) -> PyResult<Py<PyTuple>> {
    Ok(PyTuple::new(py, fields)?.unbind())
}

/// `Name(field=repr(value), ...)` over the object's own attributes.
fn fields_repr(obj: &Bound<'_, PyAny>, name: &str, fields: &[&str]) -> PyResult<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for field in fields {
        parts.push(format!("{field}={}", obj.getattr(*field)?.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// One locker, as `Service.add_locker` and `Service.lockers` return it.
#[pyclass(module = "locker", name = "Locker", frozen, eq)]
pub struct PyLocker {
    inner: Locker,
    /// Stable id (UUID text).
    #[pyo3(get)]
    id: String,
    /// Human code, unique (`A01`).
    #[pyo3(get)]
    code: String,
    /// The station (cabinet or site) it belongs to.
    #[pyo3(get)]
    station: String,
    /// Where it is, in words.
    #[pyo3(get)]
    location: String,
    /// `small`, `medium` or `large`.
    #[pyo3(get)]
    size: String,
    /// `available`, `in_use`, `maintenance`, ...
    #[pyo3(get)]
    status: String,
    /// What the door sensor last said: `open`, `closed` or `unknown`.
    #[pyo3(get)]
    door: String,
    /// The controller that drives its lock, if wired.
    #[pyo3(get)]
    controller_id: Option<String>,
    /// Relay channel on that controller.
    #[pyo3(get)]
    relay_channel: u16,
    /// Door-sensor channel on that controller.
    #[pyo3(get)]
    sensor_channel: u16,
    /// Price per hour in minor units.
    #[pyo3(get)]
    price_per_hour: i64,
    /// When a rental last ended here.
    #[pyo3(get)]
    last_used_at: Option<DateTime<Utc>>,
    /// Created.
    #[pyo3(get)]
    created_at: DateTime<Utc>,
    /// Last changed.
    #[pyo3(get)]
    updated_at: DateTime<Utc>,
}

impl PartialEq for PyLocker {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl PyLocker {
    /// The Python view of `locker`.
    pub fn from_core(locker: Locker) -> Self {
        Self {
            id: locker.id.to_string(),
            code: locker.code.clone(),
            station: locker.station.clone(),
            location: locker.location.clone(),
            size: name_of(&locker.size),
            status: name_of(&locker.status),
            door: name_of(&locker.door),
            controller_id: locker.controller_id.map(|id| id.to_string()),
            relay_channel: locker.relay_channel,
            sensor_channel: locker.sensor_channel,
            price_per_hour: locker.price_per_hour.0,
            last_used_at: locker.last_used_at,
            created_at: locker.created_at,
            updated_at: locker.updated_at,
            inner: locker,
        }
    }
}

const LOCKER_FIELDS: &[&str] = &[
    "id",
    "code",
    "station",
    "location",
    "size",
    "status",
    "door",
    "controller_id",
    "relay_channel",
    "sensor_channel",
    "price_per_hour",
    "last_used_at",
    "created_at",
    "updated_at",
];

#[pymethods]
impl PyLocker {
    /// The fields' names, in order (for `match` statements).
    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        match_args(py, LOCKER_FIELDS)
    }

    /// The core's JSON shape: ids, names and times as strings.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "Locker", LOCKER_FIELDS)
    }
}

/// One rental (a customer's session with a locker).
#[pyclass(module = "locker", name = "Rental", frozen, eq)]
pub struct PyRental {
    inner: Rental,
    /// Stable id (UUID text).
    #[pyo3(get)]
    id: String,
    /// The locker it holds.
    #[pyo3(get)]
    locker_id: String,
    /// The renter; None for a guest (face-only) session.
    #[pyo3(get)]
    user_id: Option<String>,
    /// `session` or `order`.
    #[pyo3(get)]
    kind: String,
    /// `opening`, `active`, `completed`, `cancelled`, ...
    #[pyo3(get)]
    state: String,
    /// How it was started: `qr_code`, `face_id`, ...
    #[pyo3(get)]
    auth_method: String,
    /// Paid duration in half hours (orders); 0 for walk-up sessions.
    #[pyo3(get)]
    half_hours: u32,
    /// Price per hour at booking, minor units.
    #[pyo3(get)]
    price_per_hour: i64,
    /// Total charged so far, minor units.
    #[pyo3(get)]
    amount: i64,
    /// Created.
    #[pyo3(get)]
    created_at: DateTime<Utc>,
    /// When the door first opened for the customer.
    #[pyo3(get)]
    started_at: Option<DateTime<Utc>>,
    /// End of the paid time (orders).
    #[pyo3(get)]
    paid_until: Option<DateTime<Utc>>,
    /// Last reopen.
    #[pyo3(get)]
    last_access_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<DateTime<Utc>>,
}

impl PartialEq for PyRental {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl PyRental {
    /// The Python view of `rental`.
    pub fn from_core(rental: Rental) -> Self {
        Self {
            id: rental.id.to_string(),
            locker_id: rental.locker_id.to_string(),
            user_id: rental.user_id.map(|id| id.to_string()),
            kind: name_of(&rental.kind),
            state: name_of(&rental.state),
            auth_method: name_of(&rental.auth_method),
            half_hours: rental.half_hours,
            price_per_hour: rental.price_per_hour.0,
            amount: rental.amount.0,
            created_at: rental.created_at,
            started_at: rental.started_at,
            paid_until: rental.paid_until,
            last_access_at: rental.last_access_at,
            ended_at: rental.ended_at,
            inner: rental,
        }
    }
}

const RENTAL_FIELDS: &[&str] = &[
    "id",
    "locker_id",
    "user_id",
    "kind",
    "state",
    "auth_method",
    "half_hours",
    "price_per_hour",
    "amount",
    "created_at",
    "started_at",
    "paid_until",
    "last_access_at",
    "ended_at",
];

#[pymethods]
impl PyRental {
    /// The fields' names, in order (for `match` statements).
    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        match_args(py, RENTAL_FIELDS)
    }

    /// The core's JSON shape: ids, names and times as strings.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "Rental", RENTAL_FIELDS)
    }
}

/// Defines a result class of a rental, its locker and (except `CheckIn`) the face score.
macro_rules! rental_result {
    ($(#[$doc:meta])* $py:ident, $core:ty, $name:literal, [$($extra:ident: $ty:ty),*]) => {
        $(#[$doc])*
        #[pyclass(module = "locker", name = $name, frozen, eq)]
        pub struct $py {
            inner: $core,
            /// The rental.
            #[pyo3(get)]
            rental: Py<PyRental>,
            /// Its locker.
            #[pyo3(get)]
            locker: Py<PyLocker>,
            $(
                /// The face match score, when done by face; else None.
                #[pyo3(get)]
                $extra: $ty,
            )*
        }

        impl PartialEq for $py {
            fn eq(&self, other: &Self) -> bool {
                self.inner == other.inner
            }
        }

        impl $py {
            /// The Python view of `done`.
            pub fn from_core(py: Python<'_>, done: $core) -> PyResult<Self> {
                Ok(Self {
                    rental: Py::new(py, PyRental::from_core(done.rental.clone()))?,
                    locker: Py::new(py, PyLocker::from_core(done.locker.clone()))?,
                    $($extra: done.$extra,)*
                    inner: done,
                })
            }
        }

        #[pymethods]
        impl $py {
            /// The fields' names, in order (for `match` statements).
            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
                match_args(py, &["rental", "locker" $(, stringify!($extra))*])
            }

            /// The core's JSON shape: `{"rental": {...}, "locker": {...}, ...}`.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                to_py(py, &self.inner)
            }

            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                fields_repr(slf.as_any(), $name, &["rental", "locker" $(, stringify!($extra))*])
            }
        }
    };
}

rental_result!(
    /// A check-in: the new rental (`opening` until the door has been opened and shut) and
    /// the locker given.
    PyCheckIn, CheckIn, "CheckIn", []
);
rental_result!(
    /// A reopened rental (`last_access_at` stamped), its locker and the face score.
    PyReopened, Reopened, "Reopened", [match_score: Option<f32>]
);
rental_result!(
    /// An ended rental (`completed`), its locker (free again) and the face score.
    PyCheckedOut, CheckedOut, "CheckedOut", [match_score: Option<f32>]
);

/// A service event, as `Service.next_event` returns it: one of the subclasses
/// `SessionUpdated`, `LockerStatusChanged` and `SecurityAlert`; `event` is its name as on
/// the server's WebSocket.
#[pyclass(module = "locker", name = "Event", frozen, eq, subclass)]
pub struct PyEvent {
    inner: ServiceEvent,
}

impl PartialEq for PyEvent {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

#[pymethods]
impl PyEvent {
    /// `session_updated`, `locker_status_changed` or `security_alert`.
    #[getter]
    fn event(&self) -> &'static str {
        self.inner.name()
    }

    /// The WebSocket shape: `{"event": ..., "data": {...}}`.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let ty = slf.get_type().name()?.to_string();
        let fields = slf.getattr("__match_args__")?.extract::<Vec<String>>()?;
        let fields = fields.iter().map(String::as_str).collect::<Vec<_>>();
        fields_repr(slf.as_any(), &ty, &fields)
    }
}

/// A rental moved on (`event == "session_updated"`).
#[pyclass(module = "locker", name = "SessionUpdated", extends = PyEvent, frozen)]
pub struct PySessionUpdated {
    /// The rental (UUID text).
    #[pyo3(get)]
    session_id: String,
    /// What happened: `check_in`, `update`, `check_out`, `sensor_trigger`, `cancel`, ...
    #[pyo3(get)]
    action: String,
    /// The locker's code.
    #[pyo3(get)]
    locker_code: String,
    /// The session status a seed-000 client sees: `active`, `completed` or `cancelled`.
    #[pyo3(get)]
    status: String,
}

#[pymethods]
impl PySessionUpdated {
    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        match_args(py, &["session_id", "action", "locker_code", "status"])
    }
}

/// A locker's status or door changed (`event == "locker_status_changed"`).
#[pyclass(module = "locker", name = "LockerStatusChanged", extends = PyEvent, frozen)]
pub struct PyLockerStatusChanged {
    /// The locker (UUID text).
    #[pyo3(get)]
    locker_id: String,
    /// Its code.
    #[pyo3(get)]
    locker_code: String,
    /// Its status now.
    #[pyo3(get)]
    status: String,
    /// Its door now: `open`, `closed` or `unknown`.
    #[pyo3(get)]
    door_state: String,
}

#[pymethods]
impl PyLockerStatusChanged {
    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        match_args(py, &["locker_id", "locker_code", "status", "door_state"])
    }
}

/// An alert was raised (`event == "security_alert"`).
#[pyclass(module = "locker", name = "SecurityAlert", extends = PyEvent, frozen)]
pub struct PySecurityAlert {
    /// The alert (UUID text).
    #[pyo3(get)]
    alert_id: String,
    /// The locker concerned, if any.
    #[pyo3(get)]
    locker_id: Option<String>,
    /// Its code, if any.
    #[pyo3(get)]
    locker_code: Option<String>,
    /// What it is about: `unauthorized_open`, `lock_jam`, `door_left_open`, ...
    #[pyo3(get)]
    alert_type: String,
    /// How urgent: `low`, `medium`, `high`, `critical`.
    #[pyo3(get)]
    severity: String,
    /// What happened, in words.
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl PySecurityAlert {
    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        match_args(py, &["alert_id", "locker_id", "locker_code", "alert_type", "severity", "message"])
    }
}

/// The Python object of `event`: an instance of its `Event` subclass.
pub fn event_to_py(py: Python<'_>, event: ServiceEvent) -> PyResult<Py<PyAny>> {
    let base = PyEvent { inner: event.clone() };
    let object = match event {
        ServiceEvent::SessionUpdated { session_id, action, locker_code, status } => Py::new(
            py,
            PyClassInitializer::from(base).add_subclass(PySessionUpdated {
                session_id: session_id.to_string(),
                action: name_of(&action),
                locker_code,
                status: status.to_owned(),
            }),
        )?
        .into_any(),
        ServiceEvent::LockerStatusChanged { locker_id, locker_code, status, door_state } => Py::new(
            py,
            PyClassInitializer::from(base).add_subclass(PyLockerStatusChanged {
                locker_id: locker_id.to_string(),
                locker_code,
                status: name_of(&status),
                door_state: name_of(&door_state),
            }),
        )?
        .into_any(),
        ServiceEvent::SecurityAlert { alert_id, locker_id, locker_code, alert_type, severity, message } => Py::new(
            py,
            PyClassInitializer::from(base).add_subclass(PySecurityAlert {
                alert_id: alert_id.to_string(),
                locker_id: locker_id.map(|id| id.to_string()),
                locker_code,
                alert_type: name_of(&alert_type),
                severity: name_of(&severity),
                message,
            }),
        )?
        .into_any(),
    };
    Ok(object)
}
