//! The lock-controller scenarios over a real pseudo-terminal pair: the simulator on the
//! master side, the serial transport (serialport crate) on the slave device file.
#![cfg(all(unix, feature = "serial"))]

use std::time::{Duration, Instant};

use futures::channel::mpsc::TryRecvError;
use futures::executor::block_on;
use locker_core::controller::serial::{SerialSettings, open_controller};
use locker_core::controller::sim::{LineFaults, Person, PtySimulator, SimConfig};
use locker_core::controller::wire::{ControllerEvent, DeviceEvent, Driver, UartError, UnlockOutcome};
use locker_core::domain::DoorState;
use locker_core::ports::LockController;
use serialport::SerialPort;

fn sim(config: SimConfig) -> PtySimulator {
    PtySimulator::spawn(config, LineFaults::default(), 1).expect("pseudo-terminal")
}

fn settings(path: &str) -> SerialSettings {
    let mut s = SerialSettings::new(path, Driver::V1);
    s.channels = 8;
    s.reopen_every = Duration::from_millis(50);
    s
}

/// Waits up to `timeout` for an event matching `want`.
fn wait_for(
    rx: &mut futures::channel::mpsc::UnboundedReceiver<ControllerEvent>,
    timeout: Duration,
    want: impl Fn(&ControllerEvent) -> bool,
) -> Option<ControllerEvent> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match rx.try_recv() {
            Ok(ev) if want(&ev) => return Some(ev),
            Ok(_) => {}
            Err(TryRecvError::Closed) => return None,
            Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    None
}

fn door_event(channel: u16, state: DoorState) -> impl Fn(&ControllerEvent) -> bool {
    move |e| *e == ControllerEvent::Device { event: DeviceEvent::Door { channel, state } }
}

#[test]
fn unlock_then_the_door_is_opened_and_closed() {
    let person = Person { open_after: Duration::from_millis(50), hold_open: Duration::from_millis(150) };
    let sim = sim(SimConfig { person: Some(person), ..SimConfig::new(8) });
    let ctrl = open_controller(&settings(&sim.path())).unwrap();
    let mut events = ctrl.subscribe();
    let info = block_on(ctrl.info()).unwrap();
    assert_eq!((info.driver.as_str(), info.channels), ("v1", 8));
    assert_eq!(block_on(ctrl.unlock(3)).unwrap(), UnlockOutcome::Pulsed);
    assert!(wait_for(&mut events, Duration::from_secs(2), door_event(3, DoorState::Open)).is_some());
    assert!(wait_for(&mut events, Duration::from_secs(2), door_event(3, DoorState::Closed)).is_some());
    assert_eq!(block_on(ctrl.door(3)).unwrap(), DoorState::Closed);
    assert_eq!(sim.device().lock().unwrap().pulses().len(), 1);
}

#[test]
fn unlock_of_a_jammed_lock_is_acknowledged_but_no_door_opens() {
    let person = Person { open_after: Duration::from_millis(20), hold_open: Duration::from_millis(50) };
    let sim = sim(SimConfig { person: Some(person), jammed: [4].into(), ..SimConfig::new(8) });
    let ctrl = open_controller(&settings(&sim.path())).unwrap();
    let mut events = ctrl.subscribe();
    assert_eq!(block_on(ctrl.unlock(4)).unwrap(), UnlockOutcome::Pulsed);
    // The alert-worthy result: acknowledged, relay fired, and the sensor never moves.
    assert!(
        wait_for(&mut events, Duration::from_millis(400), |e| matches!(e, ControllerEvent::Device { .. })).is_none()
    );
    assert_eq!(block_on(ctrl.door(4)).unwrap(), DoorState::Closed);
    assert_eq!(sim.device().lock().unwrap().pulses()[0].channel, 4);
}

#[test]
fn door_forced_open_without_a_command_is_delivered() {
    let sim = sim(SimConfig::new(8));
    let ctrl = open_controller(&settings(&sim.path())).unwrap();
    let mut events = ctrl.subscribe();
    block_on(ctrl.doors()).unwrap();
    sim.device().lock().unwrap().open_door(Instant::now(), 6);
    assert!(wait_for(&mut events, Duration::from_secs(2), door_event(6, DoorState::Open)).is_some());
    assert_eq!(block_on(ctrl.doors()).unwrap()[5], DoorState::Open);
    assert!(sim.device().lock().unwrap().pulses().is_empty());
}

#[test]
fn cut_sensor_reads_open_and_the_relay_still_fires() {
    let sim = sim(SimConfig { cut_sensor: [5].into(), ..SimConfig::new(8) });
    let ctrl = open_controller(&settings(&sim.path())).unwrap();
    assert_eq!(block_on(ctrl.door(5)).unwrap(), DoorState::Open);
    assert_eq!(block_on(ctrl.unlock(5)).unwrap(), UnlockOutcome::Pulsed);
    assert_eq!(sim.device().lock().unwrap().pulses()[0].channel, 5);
}

#[test]
fn device_file_disappears_and_comes_back() {
    let sim = sim(SimConfig::new(8));
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyLOCKER");
    std::os::unix::fs::symlink(sim.path(), &link).unwrap();
    let ctrl = open_controller(&settings(link.to_str().unwrap())).unwrap();
    let mut events = ctrl.subscribe();
    assert_eq!(block_on(ctrl.unlock(1)).unwrap(), UnlockOutcome::Pulsed);

    // Unplug: the pseudo-terminal and the udev-style symlink vanish.
    std::fs::remove_file(&link).unwrap();
    let new_path = sim.replug().unwrap();
    assert!(
        wait_for(&mut events, Duration::from_secs(2), |e| matches!(e, ControllerEvent::Disconnected { .. })).is_some()
    );
    assert_eq!(block_on(ctrl.door(1)), Err(UartError::Timeout));

    // Plug back in: same symlink, new device; the transport reopens it by itself.
    std::os::unix::fs::symlink(&new_path, &link).unwrap();
    assert!(wait_for(&mut events, Duration::from_secs(3), |e| *e == ControllerEvent::Reconnected).is_some());
    assert_eq!(block_on(ctrl.unlock(2)).unwrap(), UnlockOutcome::Pulsed);
    let pulses: Vec<u8> = sim.device().lock().unwrap().pulses().iter().map(|p| p.channel).collect();
    assert_eq!(pulses, [1, 2], "nothing fired again on reconnect");
}

#[test]
fn missing_port_and_bad_channel_are_typed_errors() {
    let err = open_controller(&settings("/dev/does-not-exist-locker")).unwrap_err();
    assert!(matches!(&err, UartError::PortNotFound { path, .. } if path == "/dev/does-not-exist-locker"), "{err:?}");
    let sim = sim(SimConfig::new(8));
    let ctrl = open_controller(&settings(&sim.path())).unwrap();
    assert_eq!(block_on(ctrl.unlock(9)), Err(UartError::BadChannel { channel: 9, max: 8 }));
    assert_eq!(block_on(ctrl.unlock(0)), Err(UartError::BadChannel { channel: 0, max: 8 }));
}

#[test]
fn in_process_simulator_behind_the_same_trait() {
    use locker_core::controller::io::ThreadController;
    use locker_core::controller::link::{Link, LinkConfig};
    use locker_core::controller::sim::SimIo;
    use std::sync::Arc;
    let io = SimIo::new(SimConfig::new(4));
    let device = io.device();
    let ctrl: Arc<dyn LockController> = Arc::new(
        ThreadController::spawn(Box::new(Link::new(LinkConfig { channels: 4, ..LinkConfig::default() })), Box::new(io))
            .unwrap(),
    );
    assert_eq!(block_on(ctrl.unlock(2)).unwrap(), UnlockOutcome::Pulsed);
    assert_eq!(block_on(ctrl.doors()).unwrap(), vec![DoorState::Closed; 4]);
    assert_eq!(device.lock().unwrap().pulses().len(), 1);
}

/// A Kerong CU16 board on the master side of a pty: echoes unlocks, answers status
/// queries, and (like a person) opens the door of a lock it just released.
fn kerong_board(mut master: serialport::TTYPort, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Vec<u8> {
    use std::io::{Read, Write};
    let sum = |b: &[u8]| b.iter().fold(0u8, |a, x| a.wrapping_add(*x));
    let mut doors: u16 = 0;
    let mut rx = Vec::new();
    let mut unlocked = Vec::new();
    let mut buf = [0u8; 64];
    master.set_timeout(Duration::from_millis(5)).unwrap();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if let Ok(n) = master.read(&mut buf) {
            rx.extend_from_slice(&buf[..n]);
        }
        while rx.len() >= 5 {
            let f: Vec<u8> = rx.drain(..5).collect();
            assert_eq!((f[0], f[3], f[4]), (0x02, 0x03, sum(&f[..4])), "host sent a bad frame {f:02X?}");
            let with_sum = |mut r: Vec<u8>| {
                r.push(sum(&r));
                r
            };
            let reply = match f[2] {
                0x31 => {
                    unlocked.push((f[1] & 0x0F) + 1);
                    doors |= 1 << (f[1] & 0x0F);
                    f.clone()
                }
                0x30 => with_sum(vec![0x02, f[1], 0x30, u8::from(doors & (1 << (f[1] & 0x0F)) != 0), 0x03]),
                _ => with_sum(vec![0x02, f[1], 0x32, doors as u8, (doors >> 8) as u8, 0x03]),
            };
            master.write_all(&reply).unwrap();
        }
    }
    unlocked
}

#[test]
fn kerong_cu16_board_over_a_pty_unlock_poll_and_events() {
    let (master, slave) = serialport::TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let board = std::thread::spawn(move || kerong_board(master, s));
    let mut settings = SerialSettings::new(&path, Driver::KerongCu16);
    settings.link.poll_interval = Some(Duration::from_millis(30));
    let ctrl = open_controller(&settings).unwrap();
    let mut events = ctrl.subscribe();
    assert_eq!(block_on(ctrl.doors()).unwrap(), vec![DoorState::Closed; 16]);
    assert_eq!(block_on(ctrl.unlock(7)).unwrap(), UnlockOutcome::Pulsed);
    // The board never speaks unasked: polling notices the change and reports it.
    assert!(wait_for(&mut events, Duration::from_secs(2), door_event(7, DoorState::Open)).is_some());
    assert_eq!(block_on(ctrl.door(7)).unwrap(), DoorState::Open);
    assert_eq!(block_on(ctrl.unlock(17)), Err(UartError::BadChannel { channel: 17, max: 16 }));
    drop(ctrl);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(slave);
    assert_eq!(board.join().unwrap(), [7], "exactly one pulse, on lock 7");
}
