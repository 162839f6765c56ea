//! The v1 frame codec and a lock controller (serial port or in-process simulator).

use std::time::Duration;

use locker_core::controller::sim::SimConfig;
use locker_core::controller::wire::v1::{self, Decoded, FrameDecoder, Kind};
use locker_core::controller::wire::{ControllerEvent, DeviceEvent, UnlockOutcome};
use locker_core::domain::DoorState;
use locker_core::kiosk::Controller;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{LResult, PyLockerError};

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Request => "request",
        Kind::Response => "response",
        Kind::Event => "event",
        Kind::Ack => "ack",
    }
}

fn parse_kind(k: &str) -> LResult<Kind> {
    Ok(match k {
        "request" => Kind::Request,
        "response" => Kind::Response,
        "event" => Kind::Event,
        "ack" => Kind::Ack,
        other => {
            return Err(PyLockerError::validation(format!(
                "invalid kind {other:?}; expected request, response, event or ack"
            )));
        }
    })
}

/// Encodes one v1 frame: COBS bytes ending with the `0x00` delimiter. `kind` is "request",
/// "response", "event" or "ack". A payload over 255 bytes raises UartPayloadTooLong.
#[pyfunction]
pub fn encode_frame<'py>(
    py: Python<'py>,
    seq: u8,
    kind: &str,
    cmd: u8,
    payload: &[u8],
) -> LResult<Bound<'py, PyBytes>> {
    let mut out = Vec::with_capacity(v1::MAX_ENCODED);
    v1::encode_parts(seq, parse_kind(kind)?, cmd, payload, &mut out)?;
    Ok(PyBytes::new(py, &out))
}

/// One decoded v1 frame.
#[pyclass(module = "locker", name = "Frame", frozen, get_all)]
pub struct PyFrame {
    /// Sequence number.
    pub seq: u8,
    /// "request", "response", "event" or "ack".
    pub kind: &'static str,
    /// Command number.
    pub cmd: u8,
    /// The payload.
    pub payload: Py<PyBytes>,
}

#[pymethods]
impl PyFrame {
    fn __repr__(&self) -> String {
        format!("Frame(seq={}, kind={:?}, cmd={:#04x})", self.seq, self.kind, self.cmd)
    }
}

/// Bytes the decoder dropped, and why ("bad CRC: ...", "invalid COBS encoding", ...).
#[pyclass(module = "locker", name = "DroppedFrame", frozen, get_all)]
pub struct PyDroppedFrame {
    /// The reason, in words.
    pub reason: String,
}

#[pymethods]
impl PyDroppedFrame {
    fn __repr__(&self) -> String {
        format!("DroppedFrame({:?})", self.reason)
    }
}

/// A streaming v1 decoder: feed bytes in any chunking; each `feed` returns the frames it
/// completed (`Frame`) and the bytes it dropped (`DroppedFrame`), in order.
#[pyclass(module = "locker", name = "FrameDecoder")]
#[derive(Default)]
pub struct PyFrameDecoder {
    decoder: FrameDecoder,
}

#[pymethods]
impl PyFrameDecoder {
    /// An empty decoder.
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Feeds received bytes; returns what they completed.
    fn feed(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<Vec<Py<PyAny>>> {
        let mut items = Vec::new();
        self.decoder.feed(data, |d| items.push(d));
        items
            .into_iter()
            .map(|d| match d {
                Decoded::Frame(f) => {
                    let frame = PyFrame {
                        seq: f.seq,
                        kind: kind_name(f.kind),
                        cmd: f.cmd,
                        payload: PyBytes::new(py, &f.payload).unbind(),
                    };
                    Ok(Py::new(py, frame)?.into_any())
                }
                Decoded::Dropped(r) => Ok(Py::new(py, PyDroppedFrame { reason: r.to_string() })?.into_any()),
            })
            .collect()
    }

    /// Forgets a partial frame (after the port was reopened).
    fn reset(&mut self) {
        self.decoder.reset();
    }
}

fn door_name(d: DoorState) -> &'static str {
    d.as_str()
}

/// A timeout argument in seconds (negative is zero).
pub(crate) fn seconds(timeout: f64) -> LResult<Duration> {
    Duration::try_from_secs_f64(timeout.max(0.0))
        .map_err(|_| PyLockerError::validation("timeout must be a finite number of seconds"))
}

/// The result of an unlock: only the door sensor says whether the door opened.
#[pyclass(module = "locker", name = "UnlockResult", frozen, get_all)]
pub struct PyUnlockResult {
    /// The controller confirmed the relay pulse.
    pub confirmed: bool,
    /// When not confirmed: the door state read afterwards ("open", "closed", "unknown").
    pub door_after: Option<&'static str>,
}

#[pymethods]
impl PyUnlockResult {
    fn __repr__(&self) -> String {
        format!("UnlockResult(confirmed={}, door_after={:?})", self.confirmed, self.door_after)
    }
}

/// One controller event. `kind` is "door", "fault", "tamper", "power", "disconnected" or
/// "reconnected"; the other fields are set when they apply.
#[pyclass(module = "locker", name = "ControllerEvent", frozen, get_all)]
pub struct PyControllerEvent {
    /// What happened.
    pub kind: &'static str,
    /// Channel, from 1 (door, fault).
    pub channel: Option<u16>,
    /// "open" or "closed" (door).
    pub door: Option<&'static str>,
    /// Firmware fault code (fault).
    pub fault_code: Option<u8>,
    /// Battery percent (power).
    pub battery_percent: Option<u8>,
    /// Why the port went away (disconnected).
    pub reason: Option<String>,
}

impl PyControllerEvent {
    fn from_core(e: ControllerEvent) -> Self {
        let mut out =
            Self { kind: "tamper", channel: None, door: None, fault_code: None, battery_percent: None, reason: None };
        match e {
            ControllerEvent::Device { event } => match event {
                DeviceEvent::Door { channel, state } => {
                    (out.kind, out.channel, out.door) = ("door", Some(channel), Some(door_name(state)))
                }
                DeviceEvent::Fault { channel, code } => {
                    (out.kind, out.channel, out.fault_code) = ("fault", Some(channel), Some(code))
                }
                DeviceEvent::Tamper => out.kind = "tamper",
                DeviceEvent::Power { percent } => (out.kind, out.battery_percent) = ("power", Some(percent)),
            },
            ControllerEvent::Disconnected { reason } => (out.kind, out.reason) = ("disconnected", Some(reason)),
            ControllerEvent::Reconnected => out.kind = "reconnected",
        }
        out
    }
}

#[pymethods]
impl PyControllerEvent {
    fn __repr__(&self) -> String {
        format!("ControllerEvent(kind={:?}, channel={:?}, door={:?})", self.kind, self.channel, self.door)
    }
}

/// A running lock controller: `Controller.simulator(channels)` or `Controller.serial(path, ...)`.
/// Waits on the line release the GIL. Usable as a context manager (closes on exit).
#[pyclass(module = "locker", name = "Controller", frozen)]
pub struct PyController {
    inner: Controller,
}

#[pymethods]
impl PyController {
    /// The in-process simulated v1 controller with `channels` (1..=255) closed, healthy
    /// locks; doors open only through `sim_set_door`.
    #[staticmethod]
    fn simulator(channels: u8) -> LResult<Self> {
        Ok(Self { inner: Controller::open_simulator(SimConfig::new(channels))? })
    }

    /// A controller on the serial device `path` with `driver` ("v1", "kerong-cu16",
    /// "kerong-cu12", "rs485-generic", "modbus-relay"). `channels` 0 and `timeout_ms` 0 keep
    /// the driver's defaults. Raises SerialPortNotFound, UartUnknownDriver.
    #[staticmethod]
    #[pyo3(signature = (path, driver="v1", channels=0, timeout_ms=0))]
    fn serial(py: Python<'_>, path: &str, driver: &str, channels: u16, timeout_ms: u32) -> LResult<Self> {
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(u64::from(timeout_ms)));
        Ok(Self { inner: py.detach(|| Controller::open_serial(path, Some(driver), channels, timeout))? })
    }

    /// Fires the relay of `channel` (from 1). Raises UartBadChannel, UartTimeout.
    fn unlock(&self, py: Python<'_>, channel: u16) -> LResult<PyUnlockResult> {
        Ok(match py.detach(|| self.inner.unlock(channel))? {
            UnlockOutcome::Pulsed => PyUnlockResult { confirmed: true, door_after: None },
            UnlockOutcome::Unconfirmed { door } => {
                PyUnlockResult { confirmed: false, door_after: Some(door_name(door)) }
            }
        })
    }

    /// The door sensor of `channel`: "open", "closed" or "unknown".
    fn status(&self, py: Python<'_>, channel: u16) -> LResult<&'static str> {
        Ok(door_name(py.detach(|| self.inner.door(channel))?))
    }

    /// Every door sensor; index 0 is channel 1.
    fn status_all(&self, py: Python<'_>) -> LResult<Vec<&'static str>> {
        Ok(py.detach(|| self.inner.doors())?.into_iter().map(door_name).collect())
    }

    /// Waits up to `timeout` seconds for the next event; None when none came.
    #[pyo3(signature = (timeout=1.0))]
    fn next_event(&self, py: Python<'_>, timeout: f64) -> LResult<Option<PyControllerEvent>> {
        let wait = seconds(timeout)?;
        Ok(py.detach(|| self.inner.next_event(wait))?.map(PyControllerEvent::from_core))
    }

    /// Simulator only: a person opens (`open=True`) or shuts the door of `channel`.
    /// Raises UartUnsupported on a serial controller.
    fn sim_set_door(&self, channel: u16, open: bool) -> LResult<()> {
        Ok(self.inner.sim_set_door(channel, open)?)
    }

    /// Stops the IO thread and closes the port; later calls raise SerialPortError.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close());
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }
}
