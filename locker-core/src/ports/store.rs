//! [`Store`]: the storage port, everything the core keeps, in domain terms, with its
//! filters and pages.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::alloc::AllocationRequest;
use crate::domain::{
    Alert, AlertKind, AuthMethod, Controller, DoorState, Id, Locker, LockerSize, LockerStatus, Money, NewAlert,
    NewController, NewLocker, NewTxLog, NewUser, Rental, RentalKind, RentalState, Role, Severity, Timestamp, TxAction,
    TxLogEntry, User,
};

/// One page of a listing: 1-based `page`, `limit` items per page (1 to [`Page::MAX_LIMIT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based page number.
    pub page: u32,
    /// Items per page.
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self { page: 1, limit: 50 }
    }
}

impl Page {
    /// The largest page a store returns.
    pub const MAX_LIMIT: u32 = 1000;

    /// A page, checked: `page >= 1`, `1 <= limit <= MAX_LIMIT`.
    pub fn new(page: u32, limit: u32) -> Result<Self> {
        if page == 0 {
            return Err(crate::Error::validation("page", "starts at 1"));
        }
        if limit == 0 || limit > Self::MAX_LIMIT {
            return Err(crate::Error::validation("limit", format!("must be 1 to {}", Self::MAX_LIMIT)));
        }
        Ok(Self { page, limit })
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.limit)
    }
}

/// A page of results and the total count matching the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many items match the filter in all.
    pub total: u64,
    /// The page asked for.
    pub page: Page,
}

/// Every item of a paged listing: `list` called page by page (largest pages) until a
/// short page.
pub async fn all_pages<T, F, Fut>(list: F) -> Result<Vec<T>>
where
    F: Fn(Page) -> Fut,
    Fut: std::future::Future<Output = Result<Paged<T>>>,
{
    let mut page = Page::new(1, Page::MAX_LIMIT)?;
    let mut out = Vec::new();
    loop {
        let got = list(page).await?;
        let done = got.items.len() < page.limit as usize;
        out.extend(got.items);
        if done {
            return Ok(out);
        }
        page.page += 1;
    }
}

/// Which lockers to list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockerFilter {
    /// Only this status.
    pub status: Option<LockerStatus>,
    /// Only this size.
    pub size: Option<LockerSize>,
    /// Only this station.
    pub station: Option<String>,
    /// Only this location.
    pub location: Option<String>,
}

impl LockerFilter {
    /// Whether `locker` passes the filter (what the stores' SQL selects).
    pub fn matches(&self, locker: &Locker) -> bool {
        self.status.is_none_or(|s| s == locker.status)
            && self.size.is_none_or(|s| s == locker.size)
            && self.station.as_ref().is_none_or(|s| *s == locker.station)
            && self.location.as_ref().is_none_or(|l| *l == locker.location)
    }
}

/// How many lockers are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// Free to allocate.
    pub available: u64,
    /// Held for an order or an allocation in progress.
    pub reserved: u64,
    /// Holding someone's things.
    pub in_use: u64,
    /// Out of service.
    pub maintenance: u64,
}

impl StatusCounts {
    /// Counts `statuses`.
    pub fn of(statuses: impl IntoIterator<Item = LockerStatus>) -> Self {
        let mut counts = Self::default();
        for status in statuses {
            counts.add(status, 1);
        }
        counts
    }

    /// Adds `n` lockers in `status`.
    pub fn add(&mut self, status: LockerStatus, n: u64) {
        let slot = match status {
            LockerStatus::Available => &mut self.available,
            LockerStatus::Reserved => &mut self.reserved,
            LockerStatus::InUse => &mut self.in_use,
            LockerStatus::Maintenance => &mut self.maintenance,
        };
        *slot += n;
    }

    /// Every locker counted.
    pub fn total(&self) -> u64 {
        self.available + self.reserved + self.in_use + self.maintenance
    }
}

/// A locker with the name of the controller it is wired to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedLocker {
    /// The locker.
    pub locker: Locker,
    /// Its controller's name, when wired.
    pub controller: Option<String>,
}

/// The locker board (seed 000's `GET /lockers`): the lockers a filter selects, each with
/// its controller's name, and the status counts of every locker, from one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockerBoard {
    /// The selected lockers (the page asked for, or all), by code.
    pub lockers: Vec<NamedLocker>,
    /// How many lockers the filter selects in all pages.
    pub matching: u64,
    /// Every locker by status (the filter does not apply).
    pub summary: StatusCounts,
}

impl LockerBoard {
    /// The board of `all` lockers (by code) that `filter` selects, unpaged.
    pub fn filtered(all: Vec<NamedLocker>, filter: &LockerFilter) -> Self {
        let summary = StatusCounts::of(all.iter().map(|n| n.locker.status));
        let lockers: Vec<_> = all.into_iter().filter(|n| filter.matches(&n.locker)).collect();
        LockerBoard { matching: lockers.len() as u64, lockers, summary }
    }
}

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (`true`) or inactive (`false`) accounts.
    pub active: Option<bool>,
}

/// Which rentals to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentalFilter {
    /// Only this renter's.
    pub user_id: Option<Id>,
    /// Only this locker's.
    pub locker_id: Option<Id>,
    /// Only live rentals (pending payment, reserved, opening, active).
    pub live_only: bool,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Only this kind.
    pub kind: Option<AlertKind>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only resolved (`true`) or open (`false`) alerts.
    pub resolved: Option<bool>,
    /// Only this locker's.
    pub locker_id: Option<Id>,
}

/// Which transaction-log rows to list (oldest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLogFilter {
    /// Only this locker's.
    pub locker_id: Option<Id>,
    /// Only this rental's.
    pub rental_id: Option<Id>,
    /// Only this action.
    pub action: Option<TxAction>,
}

/// An admin's view of the transaction log: more filters than [`TxLogFilter`], newest first.
/// `None` means any; `from` is inclusive, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLogQuery {
    /// Only this locker's.
    pub locker_id: Option<Id>,
    /// Only rows done by this user.
    pub actor_id: Option<Id>,
    /// Only this action.
    pub action: Option<TxAction>,
    /// Only this authentication method.
    pub auth_method: Option<AuthMethod>,
    /// Only rows at or after this time.
    pub from: Option<Timestamp>,
    /// Only rows before this time.
    pub to: Option<Timestamp>,
}

/// Rentals by state and creation period, newest first. `None`/empty means any; `from`
/// is inclusive, `to` exclusive (both on `created_at`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentalQuery {
    /// Only this renter's.
    pub user_id: Option<Id>,
    /// Only this locker's.
    pub locker_id: Option<Id>,
    /// Only rentals in one of these states (empty: any state).
    pub states: Vec<RentalState>,
    /// Only rentals created at or after this time.
    pub from: Option<Timestamp>,
    /// Only rentals created before this time.
    pub to: Option<Timestamp>,
    /// Only this kind.
    pub kind: Option<RentalKind>,
    /// Only rentals of lockers at this station.
    pub station: Option<String>,
}

/// The fields of a rental the caller decides; the store adds the id, the locker and its
/// price. The locker is held as `reserved` for `PendingPayment`/`Reserved` and `in_use`
/// for `Opening`/`Active`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRental {
    /// The renter; `None` for a guest session.
    pub user_id: Option<Id>,
    /// Session or order.
    pub kind: RentalKind,
    /// The state it starts in (a live state).
    pub state: RentalState,
    /// How it was started.
    pub auth_method: AuthMethod,
    /// Paid half hours (orders); 0 for sessions.
    pub half_hours: u32,
    /// Amount charged at creation.
    pub amount: Money,
    /// When the renter checked in, if they did now.
    pub started_at: Option<Timestamp>,
    /// End of the paid time (orders).
    pub paid_until: Option<Timestamp>,
}

impl NewRental {
    /// The locker status a rental starting in `self.state` holds its locker in; an error
    /// for a state that is not live.
    pub fn locker_status(&self) -> Result<LockerStatus> {
        match self.state {
            RentalState::PendingPayment | RentalState::Reserved => Ok(LockerStatus::Reserved),
            RentalState::Opening | RentalState::Active => Ok(LockerStatus::InUse),
            other => Err(crate::Error::validation("state", format!("a new rental cannot start {other}"))),
        }
    }
}

/// What the database holds, for `locker db status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Migrations applied, as `(version, description)`.
    pub applied: Vec<(i64, String)>,
    /// Migrations known to this build but not applied yet.
    pub pending: Vec<(i64, String)>,
    /// Row counts per table (only when the schema is there).
    pub counts: Vec<(String, u64)>,
}

/// The outcome of [`Store::verify_log_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Rows checked.
    pub rows: u64,
    /// The first place the chain is broken, if it is.
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    /// Whether every row is there and unedited.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Where and how the transaction-log chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// The sequence number of the first row that does not fit (or the head).
    pub seq: i64,
    /// What is wrong, in words.
    pub reason: String,
}

/// The storage port. Implementations: `store::sqlite` and `store::postgres`, opened by
/// URL with `store::open`. Shells hold it as `Arc<dyn Store>`.
///
/// Errors: a missing row is [`crate::Error::NotFound`], a taken unique value
/// [`crate::Error::AlreadyExists`] naming the field, a state clash
/// [`crate::Error::Conflict`], a backend failure [`crate::Error::Storage`].
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Applies pending migrations.
    async fn migrate(&self) -> Result<()>;
    /// Backend, migrations and row counts.
    async fn status(&self) -> Result<StoreStatus>;
    /// The connection pool's use now, when the store has a pool (sampled for metrics).
    fn pool_use(&self) -> Option<crate::telemetry::PoolUse> {
        None
    }

    /// Creates a locker (door `closed`, status `available`).
    async fn create_locker(&self, new: NewLocker, now: Timestamp) -> Result<Locker>;
    /// Creates many lockers in one transaction: all or none.
    async fn create_lockers(&self, new: Vec<NewLocker>, now: Timestamp) -> Result<Vec<Locker>>;
    /// A locker by id.
    async fn get_locker(&self, id: Id) -> Result<Locker>;
    /// A locker by code.
    async fn get_locker_by_code(&self, code: &str) -> Result<Locker>;
    /// Writes every field of `locker` except `id` and `created_at`.
    async fn update_locker(&self, locker: &Locker) -> Result<Locker>;
    /// Lockers matching `filter`, ordered by code.
    async fn list_lockers(&self, filter: &LockerFilter, page: Page) -> Result<Paged<Locker>>;
    /// The locker board: the lockers `filter` selects with their controllers' names (`page`
    /// of them, or all when `None`) and every locker's status counts, from one snapshot.
    async fn locker_board(&self, filter: &LockerFilter, page: Option<Page>) -> Result<LockerBoard>;
    /// Deletes a locker; [`crate::Error::Conflict`] while it has a live rental.
    async fn delete_locker(&self, id: Id) -> Result<()>;
    /// Sets a locker's status and appends `log` (the reason for the change) in the same
    /// transaction: both or neither.
    async fn set_locker_status(&self, id: Id, status: LockerStatus, log: NewTxLog, now: Timestamp) -> Result<Locker>;
    /// Records what a locker's door sensor says (status untouched).
    async fn set_locker_door(&self, id: Id, door: DoorState, now: Timestamp) -> Result<Locker>;

    /// Registers a controller.
    async fn create_controller(&self, new: NewController, now: Timestamp) -> Result<Controller>;
    /// A controller by id.
    async fn get_controller(&self, id: Id) -> Result<Controller>;
    /// A controller by name.
    async fn get_controller_by_name(&self, name: &str) -> Result<Controller>;
    /// Controllers ordered by name.
    async fn list_controllers(&self, page: Page) -> Result<Paged<Controller>>;
    /// Writes every field of `controller` except `id` and `created_at`.
    async fn update_controller(&self, controller: &Controller) -> Result<Controller>;

    /// Creates an account.
    async fn create_user(&self, new: NewUser, now: Timestamp) -> Result<User>;
    /// A user by id.
    async fn get_user(&self, id: Id) -> Result<User>;
    /// A user by e-mail.
    async fn get_user_by_email(&self, email: &str) -> Result<User>;
    /// A user by phone.
    async fn get_user_by_phone(&self, phone: &str) -> Result<User>;
    /// A user by username.
    async fn get_user_by_username(&self, username: &str) -> Result<User>;
    /// Users matching `filter`, oldest first.
    async fn list_users(&self, filter: &UserFilter, page: Page) -> Result<Paged<User>>;
    /// Writes every field of `user` except `id` and `created_at`.
    async fn update_user(&self, user: &User) -> Result<User>;

    /// Chooses a locker by `request` (see [`crate::alloc`]) and creates the rental, all in
    /// one transaction: the locker is held, the rental row and the log row (`log`, with
    /// its locker and rental filled in) written. Two concurrent calls never get the same
    /// locker; none free is [`crate::Error::NoAvailableLocker`].
    async fn allocate_and_create_rental(
        &self,
        request: &AllocationRequest,
        rental: NewRental,
        log: NewTxLog,
        now: Timestamp,
    ) -> Result<(Rental, Locker)>;
    /// Persists a transition computed by the rental machine, compare-and-set: if the
    /// stored state is not `expected` the call is [`crate::Error::Conflict`] and nothing is
    /// written. In one transaction: the rental row, the locker's status (if given; an
    /// ended rental also stamps the locker's `last_used_at`) and the log row.
    async fn transition_rental(
        &self,
        rental_id: Id,
        expected: RentalState,
        updated: &Rental,
        locker_status: Option<LockerStatus>,
        log: NewTxLog,
    ) -> Result<Rental>;
    /// A rental by id.
    async fn get_rental(&self, id: Id) -> Result<Rental>;
    /// Rentals matching `filter`, newest first.
    async fn list_rentals(&self, filter: &RentalFilter, page: Page) -> Result<Paged<Rental>>;

    /// Raises an alert.
    async fn create_alert(&self, new: NewAlert, now: Timestamp) -> Result<Alert>;
    /// Alerts matching `filter`, newest first.
    async fn list_alerts(&self, filter: &AlertFilter, page: Page) -> Result<Paged<Alert>>;
    /// Resolves an alert with a note; [`crate::Error::Conflict`] if already resolved.
    async fn resolve_alert(&self, id: Id, note: &str, by: Option<Id>, now: Timestamp) -> Result<Alert>;

    /// Appends one row to the hash-chained transaction log.
    async fn append_log(&self, log: NewTxLog) -> Result<TxLogEntry>;
    /// Log rows matching `filter`, oldest first.
    async fn list_log(&self, filter: &TxLogFilter, page: Page) -> Result<Paged<TxLogEntry>>;
    /// Recomputes the hash chain over every row and the stored head.
    async fn verify_log_chain(&self) -> Result<ChainReport>;

    /// Log rows matching `query`, newest first. The SQL stores implement it; the default
    /// answers [`crate::Error::Config`] so other implementations keep compiling.
    async fn query_log(&self, query: &TxLogQuery, page: Page) -> Result<Paged<TxLogEntry>> {
        let _ = (query, page);
        Err(crate::Error::config("this store cannot query the log"))
    }
    /// Rentals matching `query`, newest first. The SQL stores implement it; the default
    /// answers [`crate::Error::Config`].
    async fn query_rentals(&self, query: &RentalQuery, page: Page) -> Result<Paged<Rental>> {
        let _ = (query, page);
        Err(crate::Error::config("this store cannot query rentals"))
    }
}
