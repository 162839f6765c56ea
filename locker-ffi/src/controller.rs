//! A lock controller: a serial port (`locker_core::controller::serial::open_controller`, any driver) or
//! the in-process v1 simulator, with unlock, door status and a blocking event pull.

use std::ffi::c_char;
use std::time::Duration;

use locker_core::controller::sim::SimConfig;
use locker_core::controller::wire::{ControllerEvent, DeviceEvent, UnlockOutcome};
use locker_core::domain::DoorState;
use locker_core::kiosk::Controller;

use crate::error::{Fail, locker_result};
use crate::ffi::{
    Castable, check_out, ffi_panic_boundary, free_handle, to_handle, try_opt_str, try_ref, try_str, write_out,
};

/// What a door sensor says.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_door_state {
    /// Not known (no reading, sensor fault, controller offline).
    Unknown = 0,
    /// Open.
    Open = 1,
    /// Closed.
    Closed = 2,
}

impl locker_door_state {
    pub(crate) fn from_core(d: DoorState) -> Self {
        match d {
            DoorState::Open => Self::Open,
            DoorState::Closed => Self::Closed,
            DoorState::Unknown => Self::Unknown,
        }
    }
}

/// The result of an unlock. Only the door sensor says whether the door opened.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_unlock_result {
    /// The controller confirmed the relay pulse.
    pub confirmed: bool,
    /// When not confirmed: the door state read afterwards (the pulse is never repeated).
    pub door_after: locker_door_state,
}

/// What kind of event `locker_controller_next_event` returned.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_event_kind {
    /// A door sensor changed (`channel`, `door`).
    Door = 1,
    /// A channel fault (`channel`, `fault_code`).
    Fault = 2,
    /// The cabinet's tamper switch tripped.
    Tamper = 3,
    /// Battery report (`battery_percent`).
    Power = 4,
    /// The serial device went away.
    Disconnected = 5,
    /// The serial device is back.
    Reconnected = 6,
}

/// One controller event; fields not used by `kind` are zero.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_controller_event {
    /// What happened.
    pub kind: locker_event_kind,
    /// Channel, from 1 (door and fault events).
    pub channel: u16,
    /// The new door reading (door events).
    pub door: locker_door_state,
    /// Firmware fault code (fault events).
    pub fault_code: u8,
    /// Battery percent (power events).
    pub battery_percent: u8,
}

impl locker_controller_event {
    fn from_core(e: &ControllerEvent) -> Self {
        let mut out = Self {
            kind: locker_event_kind::Tamper,
            channel: 0,
            door: locker_door_state::Unknown,
            fault_code: 0,
            battery_percent: 0,
        };
        match e {
            ControllerEvent::Device { event } => match *event {
                DeviceEvent::Door { channel, state } => {
                    (out.kind, out.channel, out.door) =
                        (locker_event_kind::Door, channel, locker_door_state::from_core(state))
                }
                DeviceEvent::Fault { channel, code } => {
                    (out.kind, out.channel, out.fault_code) = (locker_event_kind::Fault, channel, code)
                }
                DeviceEvent::Tamper => out.kind = locker_event_kind::Tamper,
                DeviceEvent::Power { percent } => (out.kind, out.battery_percent) = (locker_event_kind::Power, percent),
            },
            ControllerEvent::Disconnected { .. } => out.kind = locker_event_kind::Disconnected,
            ControllerEvent::Reconnected => out.kind = locker_event_kind::Reconnected,
        }
        out
    }
}

/// A running lock controller (opaque). Safe to share between threads.
pub struct locker_controller {
    _private: [u8; 0],
}

impl Castable for locker_controller {
    type Inner = Controller;
}

/// Opens the controller on the serial device `path` with `driver` (`"v1"`, `"kerong-cu16"`,
/// `"kerong-cu12"`, `"rs485-generic"`, `"modbus-relay"`; NULL means `"v1"`). `channels` 0 and
/// `timeout_ms` 0 keep the driver's defaults. A missing device is
/// `LOCKER_RESULT_SERIAL_PORT_NOT_FOUND`. Release it with `locker_controller_free`.
///
/// # Safety
/// Strings are NUL-terminated (`driver` may be NULL); `out_controller` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_open_serial(
    path: *const c_char,
    driver: *const c_char,
    channels: u16,
    timeout_ms: u32,
    out_controller: *mut *mut locker_controller,
) -> locker_result {
    ffi_panic_boundary(|| {
        let path = unsafe { try_str(path, "path") }?;
        let driver = unsafe { try_opt_str(driver, "driver") }?;
        check_out(out_controller, "out_controller")?;
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(u64::from(timeout_ms)));
        let ctrl = Controller::open_serial(path, driver, channels, timeout)?;
        unsafe { write_out(out_controller, to_handle::<locker_controller>(ctrl)) };
        Ok(())
    })
}

/// Starts the in-process simulated v1 controller with `channels` (1..=255) healthy locks, all
/// closed and nobody around: doors open only through `locker_controller_sim_set_door`.
/// Release it with `locker_controller_free`.
#[unsafe(no_mangle)]
pub extern "C" fn locker_controller_open_simulator(
    channels: u8,
    out_controller: *mut *mut locker_controller,
) -> locker_result {
    ffi_panic_boundary(|| {
        check_out(out_controller, "out_controller")?;
        let ctrl = Controller::open_simulator(SimConfig::new(channels))?;
        unsafe { write_out(out_controller, to_handle::<locker_controller>(ctrl)) };
        Ok(())
    })
}

/// Stops the controller's IO thread and closes its port; the handle stays valid, and every
/// later call on it fails with `LOCKER_RESULT_SERIAL_PORT`. Closing twice is harmless.
///
/// # Safety
/// `controller` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_close(controller: *const locker_controller) -> locker_result {
    ffi_panic_boundary(|| {
        unsafe { try_ref(controller, "controller") }?.close();
        Ok(())
    })
}

/// Closes (if needed) and releases a controller, and sets `*controller` to NULL. NULL is a no-op.
///
/// # Safety
/// `controller` is NULL or points at NULL or at a live controller.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_free(controller: *mut *mut locker_controller) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(controller) };
        Ok(())
    });
}

/// Fires the relay of `channel` (from 1), retrying with the same sequence number on silence.
/// Out of range: `LOCKER_RESULT_UART_BAD_CHANNEL`; no answer and no door reading afterwards:
/// `LOCKER_RESULT_UART_TIMEOUT`.
///
/// # Safety
/// `controller` is live; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_unlock(
    controller: *const locker_controller,
    channel: u16,
    out: *mut locker_unlock_result,
) -> locker_result {
    ffi_panic_boundary(|| {
        let ctrl = unsafe { try_ref(controller, "controller") }?;
        check_out(out, "out")?;
        let result = match ctrl.unlock(channel)? {
            UnlockOutcome::Pulsed => locker_unlock_result { confirmed: true, door_after: locker_door_state::Unknown },
            UnlockOutcome::Unconfirmed { door } => {
                locker_unlock_result { confirmed: false, door_after: locker_door_state::from_core(door) }
            }
        };
        unsafe { write_out(out, result) };
        Ok(())
    })
}

/// Reads the door sensor of `channel` (from 1).
///
/// # Safety
/// `controller` is live; `out_door` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_status(
    controller: *const locker_controller,
    channel: u16,
    out_door: *mut locker_door_state,
) -> locker_result {
    ffi_panic_boundary(|| {
        let ctrl = unsafe { try_ref(controller, "controller") }?;
        check_out(out_door, "out_door")?;
        let door = locker_door_state::from_core(ctrl.door(channel)?);
        unsafe { write_out(out_door, door) };
        Ok(())
    })
}

/// Reads every door sensor into `out_doors[0..cap]` (index 0 is channel 1) and writes the
/// count to `*out_n`. A buffer shorter than the channel count is `LOCKER_RESULT_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `controller` is live; `out_doors` has `cap` writable elements; `out_n` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_status_all(
    controller: *const locker_controller,
    out_doors: *mut locker_door_state,
    cap: usize,
    out_n: *mut usize,
) -> locker_result {
    ffi_panic_boundary(|| {
        let ctrl = unsafe { try_ref(controller, "controller") }?;
        check_out(out_doors, "out_doors")?;
        check_out(out_n, "out_n")?;
        let doors = ctrl.doors()?;
        if doors.len() > cap {
            return Err(Fail::new(locker_result::BufferTooSmall, format!("{} doors, room for {cap}", doors.len())));
        }
        for (i, d) in doors.iter().enumerate() {
            // SAFETY: i < doors.len() <= cap writable elements.
            unsafe { out_doors.add(i).write(locker_door_state::from_core(*d)) };
        }
        unsafe { write_out(out_n, doors.len()) };
        Ok(())
    })
}

/// Waits up to `timeout_ms` for the next controller event (door changes, faults, tamper,
/// power, port lost/back): `LOCKER_RESULT_OK` with `*out_event` written, or
/// `LOCKER_RESULT_EMPTY` when none came in time. Events are queued from the moment the
/// controller was opened.
///
/// # Safety
/// `controller` is live; `out_event` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_next_event(
    controller: *const locker_controller,
    timeout_ms: u32,
    out_event: *mut locker_controller_event,
) -> locker_result {
    let mut empty = false;
    let r = ffi_panic_boundary(|| {
        let ctrl = unsafe { try_ref(controller, "controller") }?;
        check_out(out_event, "out_event")?;
        match ctrl.next_event(Duration::from_millis(u64::from(timeout_ms)))? {
            Some(event) => unsafe { write_out(out_event, locker_controller_event::from_core(&event)) },
            None => empty = true,
        }
        Ok(())
    });
    if empty { locker_result::Empty } else { r }
}

/// Simulator only: a person opens (`open` true) or pushes shut the door of `channel`; the
/// simulated controller reports it as a door event. On a serial controller:
/// `LOCKER_RESULT_UART_UNSUPPORTED`.
///
/// # Safety
/// `controller` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_controller_sim_set_door(
    controller: *const locker_controller,
    channel: u16,
    open: bool,
) -> locker_result {
    ffi_panic_boundary(|| Ok(unsafe { try_ref(controller, "controller") }?.sim_set_door(channel, open)?))
}
