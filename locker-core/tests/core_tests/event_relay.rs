//! Issue 19 (part A), the service's side of scaling out, over in-memory ports (the
//! PostgreSQL ones are tested with three server processes in the server's `scale_out`
//! tests): events shared through an [`EventLog`] reach every service's subscribers once and
//! in one order, and the site-wide timer tasks have one leader that another service
//! replaces when it goes.
#![cfg(all(feature = "test-utils", feature = "sqlite"))]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use locker_core::Result;
use locker_core::domain::{AlertKind, Id, NewController, Timestamp};
use locker_core::ports::{EventLog, EventWakeups, Leadership, Lease, LoggedEvent};
use locker_core::service::{LockerService, ServiceEvent, ServiceKeys, TimerTask};
use tokio::sync::broadcast;

/// An [`EventLog`] in memory: ids in append order, a broadcast as the notification.
struct MemoryLog {
    rows: Mutex<Vec<LoggedEvent>>,
    news: broadcast::Sender<()>,
}

impl MemoryLog {
    fn new() -> Arc<Self> {
        Arc::new(Self { rows: Mutex::new(Vec::new()), news: broadcast::channel(64).0 })
    }
}

#[async_trait::async_trait]
impl EventLog for MemoryLog {
    async fn append(&self, origin: Id, payload: &serde_json::Value, _now: Timestamp) -> Result<i64> {
        let id = {
            let mut rows = self.rows.lock().unwrap();
            let id = rows.len() as i64 + 1;
            rows.push(LoggedEvent { id, origin, payload: payload.clone() });
            id
        };
        let _ = self.news.send(());
        Ok(id)
    }
    async fn read_after(&self, after: i64, limit: u32) -> Result<Vec<LoggedEvent>> {
        let rows = self.rows.lock().unwrap();
        Ok(rows.iter().filter(|r| r.id > after).take(limit as usize).cloned().collect())
    }
    async fn head(&self) -> Result<i64> {
        Ok(self.rows.lock().unwrap().len() as i64)
    }
    async fn prune(&self, _before: Timestamp) -> Result<u64> {
        Ok(0)
    }
    async fn listen(&self) -> Result<Box<dyn EventWakeups>> {
        Ok(Box::new(MemoryWakeups(self.news.subscribe())))
    }
}

struct MemoryWakeups(broadcast::Receiver<()>);

#[async_trait::async_trait]
impl EventWakeups for MemoryWakeups {
    async fn wait(&mut self, timeout: Duration) -> Result<bool> {
        Ok(tokio::time::timeout(timeout, self.0.recv()).await.is_ok())
    }
}

/// [`Leadership`] in memory: one holder per task; [`MemoryLeadership::cut`] takes a lease
/// away, as a cut database connection does.
#[derive(Default)]
struct MemoryLeadership {
    holders: Arc<Mutex<HashMap<String, u64>>>,
    next: AtomicU64,
}

impl MemoryLeadership {
    fn cut(&self, task: TimerTask) {
        self.holders.lock().unwrap().remove(task.name());
    }
}

#[async_trait::async_trait]
impl Leadership for MemoryLeadership {
    async fn try_lead(&self, task: &str) -> Result<Option<Box<dyn Lease>>> {
        let mut holders = self.holders.lock().unwrap();
        if holders.contains_key(task) {
            return Ok(None);
        }
        let token = self.next.fetch_add(1, Ordering::SeqCst);
        holders.insert(task.to_owned(), token);
        Ok(Some(Box::new(MemoryLease { holders: self.holders.clone(), task: task.to_owned(), token })))
    }
}

struct MemoryLease {
    holders: Arc<Mutex<HashMap<String, u64>>>,
    task: String,
    token: u64,
}

#[async_trait::async_trait]
impl Lease for MemoryLease {
    async fn held(&mut self) -> bool {
        self.holders.lock().unwrap().get(&self.task) == Some(&self.token)
    }
}

impl Drop for MemoryLease {
    fn drop(&mut self) {
        let mut holders = self.holders.lock().unwrap();
        if holders.get(&self.task) == Some(&self.token) {
            holders.remove(&self.task);
        }
    }
}

async fn services(url: &str, n: usize) -> Vec<Arc<LockerService>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let keys = ServiceKeys::generate().unwrap();
        out.push(LockerService::builder(url).keys(keys).open().await.unwrap().service);
    }
    out
}

/// The alert messages among the events of `rx` until `n` have come (5 s at most).
async fn alert_messages(rx: &mut broadcast::Receiver<ServiceEvent>, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("in time").unwrap();
        if let ServiceEvent::SecurityAlert { message, .. } = event {
            out.push(message);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_events_reach_every_service_once_in_one_order() {
    let db = locker_core::testing::sqlite();
    let all = services(&db.url, 2).await;
    let log = MemoryLog::new();
    for s in &all {
        tokio::spawn(s.share_events(log.clone()).await.unwrap());
    }
    assert!(all[0].share_events(log.clone()).await.is_err(), "shared once only");
    let controller = all[0]
        .store()
        .create_controller(
            NewController { name: "ESP32_R".into(), station: "S".into(), api_key_hash: None },
            all[0].now(),
        )
        .await
        .unwrap();
    let mut rxs: Vec<_> = all.iter().map(|s| s.subscribe()).collect();

    let mut expected = Vec::new();
    for i in 0..6 {
        let message = format!("report {i}");
        all[i % 2].report_error(controller.id, None, AlertKind::Tamper, &message).await.unwrap();
        expected.push(message);
    }
    // Each service appends its own events from a task of its own, so two services' events
    // raised back to back may enter the log either way round: what holds is one order for
    // every service (the log's), each service's events in the order it raised them.
    let mut seen = Vec::new();
    for rx in &mut rxs {
        seen.push(alert_messages(rx, 6).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(rx.try_recv().is_err(), "an event delivered twice");
    }
    assert_eq!(seen[0], seen[1], "one order everywhere");
    for origin in 0..2 {
        let raised: Vec<_> = expected.iter().skip(origin).step_by(2).collect();
        let delivered: Vec<_> = seen[0].iter().filter(|m| raised.contains(m)).collect();
        assert_eq!(delivered, raised, "service {origin}'s events in the order it raised them");
    }
    let rows: Vec<(Id, String)> = log
        .rows
        .lock()
        .unwrap()
        .iter()
        .map(|r| (r.origin, r.payload["data"]["message"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(rows.len(), 6, "each event logged once");
    let logged: Vec<_> = rows.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(logged, seen[0], "delivered in the log's order");
    for (origin, message) in &rows {
        let n: usize = message.trim_start_matches("report ").parse().unwrap();
        assert_eq!(*origin, all[n % 2].origin(), "{message} logged by the service that raised it");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_shared_events_a_service_delivers_at_once() {
    let db = locker_core::testing::sqlite();
    let service = services(&db.url, 1).await.remove(0);
    let controller = service
        .store()
        .create_controller(
            NewController { name: "ESP32_L".into(), station: "S".into(), api_key_hash: None },
            service.now(),
        )
        .await
        .unwrap();
    let mut rx = service.subscribe();
    service.report_error(controller.id, None, AlertKind::Tamper, "local").await.unwrap();
    assert!(matches!(rx.try_recv(), Ok(ServiceEvent::SecurityAlert { .. })), "delivered before the call returned");
}

/// The services leading `task`.
fn leaders(all: &[Arc<LockerService>], task: TimerTask) -> Vec<usize> {
    (0..all.len()).filter(|&i| all[i].leads(task)).collect()
}

async fn one_leader(all: &[Arc<LockerService>], task: TimerTask, except: Option<usize>) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let [one] = leaders(all, task)[..]
            && Some(one) != except
        {
            return one;
        }
        assert!(Instant::now() < deadline, "no single leader of {task:?}: {:?}", leaders(all, task));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_timer_task_has_one_leader_and_another_takes_over() {
    let db = locker_core::testing::sqlite();
    let all = services(&db.url, 3).await;
    for task in TimerTask::ALL {
        assert_eq!(leaders(&all, task), [0, 1, 2], "without elections every service leads");
    }
    let leadership = Arc::new(MemoryLeadership::default());
    let retry = Duration::from_millis(20);
    let mut elections: Vec<_> =
        all.iter().map(|s| Some(tokio::spawn(s.lead_timers(leadership.clone(), retry)))).collect();
    for task in TimerTask::ALL {
        one_leader(&all, task, None).await;
    }

    // The leader goes: its election loop ends, its lease is dropped, another takes over.
    let gone = one_leader(&all, TimerTask::Overdue, None).await;
    elections[gone].take().unwrap().abort();
    let next = one_leader(&all, TimerTask::Overdue, Some(gone)).await;
    assert!(!all[gone].leads(TimerTask::Overdue), "the stopped service steps down");

    // The lease is taken away (a cut connection): the holder steps down, one leads again.
    leadership.cut(TimerTask::Overdue);
    let deadline = Instant::now() + Duration::from_secs(5);
    while all[next].leads(TimerTask::Overdue) {
        assert!(Instant::now() < deadline, "the cut leader still leads");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    one_leader(&all, TimerTask::Overdue, None).await;
    drop(elections);
}

/// The PostgreSQL log: a reader taking "the rows after the last id I saw" while appenders
/// on several connections commit at once misses none (ids follow commit order), and a
/// notification wakes a listener.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_log_hands_every_row_to_a_reader_racing_the_appenders() {
    use locker_core::store::postgres::PgEventLog;
    let Some(db) = locker_core::testing::postgres().await else { return };
    drop(locker_core::store::open(&db.url).await.unwrap());
    let log = Arc::new(PgEventLog::connect(&db.url).await.unwrap());
    let mut wakeups = log.listen().await.unwrap();
    assert_eq!(log.head().await.unwrap(), 0);

    const APPENDERS: usize = 4;
    const EACH: usize = 40;
    let mut appenders = Vec::new();
    for a in 0..APPENDERS {
        // A log (and pool) per appender: separate connections, as separate processes.
        let log = PgEventLog::connect(&db.url).await.unwrap();
        appenders.push(tokio::spawn(async move {
            let origin = Id::now_v7();
            for i in 0..EACH {
                log.append(origin, &serde_json::json!({ "a": a, "i": i }), chrono::Utc::now()).await.unwrap();
            }
        }));
    }
    assert!(wakeups.wait(Duration::from_secs(5)).await.unwrap(), "a notification came");
    let (mut seen, mut last) = (Vec::new(), 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < APPENDERS * EACH {
        assert!(Instant::now() < deadline, "only {} rows read", seen.len());
        for row in log.read_after(last, 7).await.unwrap() {
            last = row.id;
            seen.push(row);
        }
    }
    for a in appenders {
        a.await.unwrap();
    }
    let all = log.read_after(0, 10_000).await.unwrap();
    assert_eq!(all.len(), APPENDERS * EACH);
    assert_eq!(seen, all, "the racing reader saw every row, in id order");
    // Each appender's rows in the order it appended them.
    for a in 0..APPENDERS {
        let order: Vec<u64> =
            all.iter().filter(|r| r.payload["a"] == a).map(|r| r.payload["i"].as_u64().unwrap()).collect();
        assert_eq!(order, (0..EACH as u64).collect::<Vec<_>>());
    }
    assert_eq!(log.prune(chrono::Utc::now() + chrono::TimeDelta::seconds(1)).await.unwrap(), (APPENDERS * EACH) as u64);
    assert!(log.read_after(0, 10).await.unwrap().is_empty());
}
