//! The IO shell around a link: one thread owns the byte port and the [`Engine`], callers
//! talk to it through [`ThreadController`], which implements
//! [`LockController`].
//!
//! The thread runs the link's driving order (see [`crate::controller::link`]): take new commands,
//! write `poll_transmit`, read with a wait bounded by `poll_timeout`, `handle_bytes`,
//! `handle_timeout`, hand out `poll_event`. No async runtime: answers travel back on
//! `futures` oneshot channels, events on unbounded `futures` channels.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::channel::{mpsc as fmpsc, oneshot};

use crate::controller::link::{Engine, LinkEvent, Seq};
use crate::controller::wire::{Command, ControllerEvent, ControllerInfo, Reply, UartError, UnlockOutcome};
use crate::domain::DoorState;
use crate::ports::LockController;

/// Longest the IO thread waits before looking for new commands.
const MAX_WAIT: Duration = Duration::from_millis(5);

/// A byte port the IO thread can own: a serial port, the in-process simulator, ...
pub trait ByteIo: Send + 'static {
    /// Reads what is available, waiting at most `wait`; `Ok(0)` when nothing came. A port
    /// that waits by parking the thread (`std::thread::park_timeout`) should return as soon
    /// as it is unparked: [`ThreadController`] unparks the IO thread when a command arrives,
    /// so the command goes out at once instead of after the wait.
    fn read(&mut self, buf: &mut [u8], wait: Duration) -> std::io::Result<usize>;
    /// Writes all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Port changes to report (disconnected, reconnected).
    fn poll_status(&mut self) -> Option<ControllerEvent>;
}

struct Job {
    command: Command,
    answer: oneshot::Sender<LinkEvent>,
}

type Subscribers = Arc<Mutex<Vec<fmpsc::UnboundedSender<ControllerEvent>>>>;

/// A lock controller driven by its own IO thread. Dropping it stops the thread.
pub struct ThreadController {
    jobs: mpsc::Sender<Job>,
    subscribers: Subscribers,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for ThreadController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadController").finish_non_exhaustive()
    }
}

/// A starting `seq` that differs between runs, so a restarted host does not collide with
/// the answers a device still caches from the previous run.
pub fn fresh_seq_seed() -> u8 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u8 ^ d.as_secs() as u8)
}

impl ThreadController {
    /// Starts the IO thread owning `engine` and `io`.
    pub fn spawn(engine: Box<dyn Engine>, io: Box<dyn ByteIo>) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel();
        let subscribers: Subscribers = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker { engine, io, jobs: rx, subscribers: subscribers.clone(), pending: HashMap::new() };
        let s = stop.clone();
        let thread = std::thread::Builder::new().name("locker-uart".into()).spawn(move || worker.run(&s))?;
        Ok(Self { jobs, subscribers, stop, thread: Some(thread) })
    }

    /// Runs one command and waits for its end ([`LinkEvent::Completed`] or
    /// [`LinkEvent::Failed`]).
    pub async fn execute(&self, command: Command) -> LinkEvent {
        let (answer, rx) = oneshot::channel();
        let gone = || LinkEvent::Failed { seq: Seq(0), error: UartError::Closed, door_after: None };
        if self.jobs.send(Job { command, answer }).is_err() {
            return gone();
        }
        self.wake();
        rx.await.unwrap_or_else(|_| gone())
    }

    async fn reply(&self, command: Command) -> Result<Reply, UartError> {
        match self.execute(command).await {
            LinkEvent::Completed { reply, .. } => Ok(reply),
            LinkEvent::Failed { error, .. } => Err(error),
            LinkEvent::Device(_) => Err(UartError::Fault("unexpected event".into())),
        }
    }

    /// Unparks the IO thread, so a port waiting by parking returns to take new commands.
    fn wake(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }

    /// Checks the controller answers.
    pub async fn ping(&self) -> Result<(), UartError> {
        self.reply(Command::Ping).await.map(|_| ())
    }
}

impl Drop for ThreadController {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn unexpected(reply: Reply) -> UartError {
    UartError::Fault(format!("unexpected answer {reply:?}"))
}

#[async_trait::async_trait]
impl LockController for ThreadController {
    async fn unlock(&self, channel: u16) -> Result<UnlockOutcome, UartError> {
        match self.execute(Command::Unlock { channel }).await {
            LinkEvent::Completed { reply: Reply::Unlocked { .. }, .. } => Ok(UnlockOutcome::Pulsed),
            LinkEvent::Completed { reply, .. } => Err(unexpected(reply)),
            LinkEvent::Failed { error: UartError::Timeout, door_after: Some(door), .. } => {
                Ok(UnlockOutcome::Unconfirmed { door })
            }
            LinkEvent::Failed { error, .. } => Err(error),
            LinkEvent::Device(_) => Err(UartError::Fault("unexpected event".into())),
        }
    }

    async fn door(&self, channel: u16) -> Result<DoorState, UartError> {
        match self.reply(Command::Status { channel }).await? {
            Reply::Door { state, .. } => Ok(state),
            other => Err(unexpected(other)),
        }
    }

    async fn doors(&self) -> Result<Vec<DoorState>, UartError> {
        match self.reply(Command::StatusAll).await? {
            Reply::Doors(d) => Ok(d),
            other => Err(unexpected(other)),
        }
    }

    async fn info(&self) -> Result<ControllerInfo, UartError> {
        match self.reply(Command::Info).await? {
            Reply::Info(i) => Ok(i),
            other => Err(unexpected(other)),
        }
    }

    fn subscribe(&self) -> fmpsc::UnboundedReceiver<ControllerEvent> {
        let (tx, rx) = fmpsc::unbounded();
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.push(tx);
        }
        rx
    }
}

struct Worker {
    engine: Box<dyn Engine>,
    io: Box<dyn ByteIo>,
    jobs: mpsc::Receiver<Job>,
    subscribers: Subscribers,
    pending: HashMap<Seq, oneshot::Sender<LinkEvent>>,
}

impl Worker {
    fn run(mut self, stop: &AtomicBool) {
        let mut out = Vec::new();
        let mut inbuf = [0u8; 1024];
        while !stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            loop {
                match self.jobs.try_recv() {
                    Ok(job) => self.start(now, job),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
            out.clear();
            while self.engine.poll_transmit(&mut out) {}
            if !out.is_empty()
                && let Err(e) = self.io.write(&out)
            {
                // The link's retry timer covers a failed write.
                tracing::debug!(error = %e, "uart write failed");
            }
            self.dispatch();
            let now = Instant::now();
            let wait = self.engine.poll_timeout().map_or(MAX_WAIT, |t| t.saturating_duration_since(now)).min(MAX_WAIT);
            let n = self.io.read(&mut inbuf, wait).unwrap_or(0);
            let now = Instant::now();
            if n > 0 {
                self.engine.handle_bytes(now, &inbuf[..n]);
            }
            if self.engine.poll_timeout().is_some_and(|t| t <= now) {
                self.engine.handle_timeout(now);
            }
            self.dispatch();
        }
    }

    fn start(&mut self, now: Instant, job: Job) {
        match self.engine.submit(now, job.command) {
            Ok(seq) => {
                self.pending.insert(seq, job.answer);
            }
            Err(error) => {
                let _ = job.answer.send(LinkEvent::Failed { seq: Seq(0), error, door_after: None });
            }
        }
    }

    fn dispatch(&mut self) {
        while let Some(status) = self.io.poll_status() {
            if status == ControllerEvent::Reconnected {
                self.engine.reset();
            }
            self.broadcast(status);
        }
        while let Some(event) = self.engine.poll_event() {
            match &event {
                LinkEvent::Completed { seq, .. } | LinkEvent::Failed { seq, .. } => {
                    if let Some(tx) = self.pending.remove(seq) {
                        let _ = tx.send(event);
                    }
                }
                LinkEvent::Device(e) => self.broadcast(ControllerEvent::Device { event: *e }),
            }
        }
    }

    fn broadcast(&self, event: ControllerEvent) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|s| s.unbounded_send(event.clone()).is_ok());
        }
    }
}
