//! The domain store: the one implementation of [`crate::ports::Store`], expanded for each backend.
//!
//! The flows (validation, allocation, compare-and-set transitions, the hash-chained log)
//! are the same on SQLite and PostgreSQL; only the row type, the SQL that takes row locks
//! and the way a write transaction begins differ. Rather than bounding a generic over
//! sqlx's database traits, [`impl_store!`] expands this code once per backend with
//! concrete types. A backend provides, as inherent items of its store type:
//! - `pool: sqlx::Pool<DB>`, `MIGRATOR`, `BACKEND` (`"sqlite"`/`"postgres"`);
//! - `begin_write()` (SQLite `BEGIN IMMEDIATE`, PostgreSQL `BEGIN`) and `begin_read()`
//!   (one consistent snapshot);
//! - `FREE_LOCKERS_LOCKED` and `FREE_CANDIDATES` (how many candidates to fetch),
//!   `LOCKER_BY_ID_LOCKED`, `LOCKER_BY_CODE_LOCKED`, `SELECT_HEAD_LOCKED`;
//! - [`super::sql::Binds`] for its query type and [`super::rows::RowRead`] for its row.

macro_rules! impl_store {
    ($store:ty, $db:ty) => {
        use $crate::alloc::{AllocationRequest, LockerChoice};
        use $crate::domain::{
            Alert, Controller, DoorState, Id, Locker, LockerStatus, NewAlert, NewController, NewLocker, NewTxLog,
            NewUser, Rental, RentalState, Timestamp, TxLogEntry, User, new_id,
        };
        use $crate::ports::{
            AlertFilter, ChainReport, LockerBoard, LockerFilter, NewRental, Page, Paged, RentalFilter, RentalQuery,
            StatusCounts, StoreStatus, TxLogFilter, TxLogQuery, UserFilter,
        };
        use $crate::store::rows::{self, RowRead};
        use $crate::store::sql::{self, Binds};
        use $crate::store::{chain, found, micros, storage_error, write_error};
        use $crate::{Error, Result};

        type Tx = $crate::store::write_turn::WriteTx<$db>;

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        fn count(row: &<$db as sqlx::Database>::Row) -> Result<u64> {
            Ok(row.int("n")?.max(0) as u64)
        }

        fn taken(entity: &'static str, field: &'static str, value: &str) -> Error {
            Error::AlreadyExists { entity, field, value: value.to_owned() }
        }

        fn live_rental_conflict(code: &str) -> impl FnOnce(&str) -> Option<Error> + '_ {
            move |detail| {
                detail.contains("locker").then(|| Error::Conflict(format!("locker {code} already has a live rental")))
            }
        }

        impl $store {
            pub(crate) async fn commit(tx: Tx) -> Result<()> {
                tx.commit().await.map_err(|e| storage_error(e, "committing"))
            }

            async fn one<T>(
                &self,
                sql: &'static str,
                entity: &'static str,
                key: impl ToString,
                bind: impl FnOnce(QueryOf) -> QueryOf,
                map: impl Fn(&<$db as sqlx::Database>::Row) -> Result<T>,
            ) -> Result<T> {
                let row = bind(q(sql))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, &format!("reading {entity}")))?;
                map(&found(row, entity, key.to_string())?)
            }

            async fn page<T>(
                &self,
                list: &'static str,
                count_sql: &'static str,
                page: Page,
                bind: impl Fn(QueryOf) -> QueryOf,
                map: impl Fn(&<$db as sqlx::Database>::Row) -> Result<T>,
            ) -> Result<Paged<T>> {
                let page = Page::new(page.page, page.limit)?;
                let mut tx = self.begin_read().await?;
                let items = bind(q(list))
                    .int(Some(page.limit.into()))
                    .int(Some(page.offset()))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "listing"))?;
                let total = bind(q(count_sql)).fetch_one(&mut *tx).await.map_err(|e| storage_error(e, "counting"))?;
                let items = items.iter().map(map).collect::<Result<Vec<T>>>()?;
                Ok(Paged { items, total: count(&total)?, page })
            }

            async fn insert_locker(tx: &mut Tx, new: NewLocker, now: Timestamp) -> Result<Locker> {
                new.validate()?;
                let locker = Locker {
                    id: new_id(),
                    code: new.code.trim().to_owned(),
                    station: new.station,
                    location: new.location,
                    size: new.size,
                    status: LockerStatus::Available,
                    door: $crate::domain::DoorState::Closed,
                    controller_id: new.controller_id,
                    relay_channel: new.relay_channel,
                    sensor_channel: new.sensor_channel,
                    price_per_hour: new.price_per_hour,
                    last_used_at: None,
                    created_at: now,
                    updated_at: now,
                };
                sql::bind_locker(q(sql::INSERT_LOCKER), &locker).execute(&mut **tx).await.map_err(|e| {
                    write_error(e, "creating a locker", "controller_id", |_| {
                        Some(taken("locker", "code", &locker.code))
                    })
                })?;
                Ok(locker)
            }

            /// Appends `log` to the chain inside `tx` (the head row serialises appenders).
            async fn append_in(tx: &mut Tx, log: NewTxLog) -> Result<TxLogEntry> {
                let head = q(Self::SELECT_HEAD_LOCKED)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(|e| storage_error(e, "reading the log head"))?;
                let seq = head.int("last_seq")? + 1;
                let prev: chain::Hash = head
                    .opt_bytes("last_hash")?
                    .unwrap_or_default()
                    .try_into()
                    .map_err(|_| rows::corrupt("last_hash", "not 32 bytes"))?;
                let entry = TxLogEntry {
                    id: new_id(),
                    action: log.action,
                    locker_id: log.locker_id,
                    rental_id: log.rental_id,
                    actor_id: log.actor_id,
                    auth_method: log.auth_method,
                    details: log.details,
                    device: log.device,
                    created_at: micros(log.created_at),
                };
                let hash = chain::row_hash(seq, &entry, &prev);
                sql::bind_log(q(sql::INSERT_LOG), seq, &entry, &prev, &hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| storage_error(e, "appending to the log"))?;
                q(sql::UPDATE_HEAD)
                    .int(Some(seq))
                    .bytes(Some(hash.to_vec()))
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| storage_error(e, "moving the log head"))?;
                Ok(entry)
            }

            /// The body of [`Store::transition_rental`] inside `tx` (the caller commits), so
            /// other ports can change a rental together with their own rows.
            pub(crate) async fn transition_in(
                tx: &mut Tx,
                rental_id: Id,
                expected: RentalState,
                updated: &Rental,
                locker_status: Option<LockerStatus>,
                log: NewTxLog,
            ) -> Result<Rental> {
                if updated.id != rental_id {
                    return Err(Error::validation("rental_id", "does not match the updated rental"));
                }
                let mut r = updated.clone();
                r.created_at = micros(r.created_at);
                for t in [&mut r.started_at, &mut r.paid_until, &mut r.last_access_at, &mut r.ended_at] {
                    *t = t.map(micros);
                }
                let now = micros(log.created_at);
                let done = sql::bind_rental(q(sql::UPDATE_RENTAL_IF_STATE), &r)
                    .text(Some(expected.to_string()))
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| {
                        write_error(e, "updating a rental", "user_id", live_rental_conflict("of this rental"))
                    })?;
                if done.rows_affected() == 0 {
                    let current = q(sql::RENTAL_SELECT_BY_ID)
                        .id(Some(rental_id))
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(|e| storage_error(e, "reading a rental"))?;
                    let current = rows::rental(&found(current, "rental", rental_id)?)?;
                    return Err(Error::Conflict(if current.state != expected {
                        format!("rental {rental_id} is {}, not {expected}", current.state)
                    } else {
                        format!("rental {rental_id} belongs to another locker or was created at another time")
                    }));
                }
                if let Some(status) = locker_status {
                    let stamp = if r.state.is_live() { sql::SET_LOCKER_STATUS } else { sql::SET_LOCKER_STATUS_USED };
                    q(stamp)
                        .id(Some(r.locker_id))
                        .text(Some(status.to_string()))
                        .ts(Some(now))
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| storage_error(e, "setting the locker's status"))?;
                }
                let log = NewTxLog {
                    locker_id: log.locker_id.or(Some(r.locker_id)),
                    rental_id: log.rental_id.or(Some(r.id)),
                    ..log
                };
                Self::append_in(tx, log).await?;
                Ok(r)
            }

            async fn candidates(tx: &mut Tx, request: &AllocationRequest) -> Result<Vec<Locker>> {
                let query = match &request.locker {
                    Some(LockerChoice::Id(id)) => q(Self::LOCKER_BY_ID_LOCKED).id(Some(*id)),
                    Some(LockerChoice::Code(code)) => q(Self::LOCKER_BY_CODE_LOCKED).text(Some(code.clone())),
                    None => {
                        sql::bind_free_lockers(q(Self::FREE_LOCKERS_LOCKED), request).int(Some(Self::FREE_CANDIDATES))
                    }
                };
                let rows = query.fetch_all(&mut **tx).await.map_err(|e| storage_error(e, "choosing a locker"))?;
                rows.iter().map(rows::locker).collect()
            }

            async fn counts(&self) -> Vec<(String, u64)> {
                let mut out = Vec::new();
                for (table, sql) in [
                    ("lockers", "SELECT COUNT(*) AS n FROM lockers"),
                    ("controllers", "SELECT COUNT(*) AS n FROM controllers"),
                    ("users", "SELECT COUNT(*) AS n FROM users"),
                    ("rentals", "SELECT COUNT(*) AS n FROM rentals"),
                    ("alerts", "SELECT COUNT(*) AS n FROM alerts"),
                    ("tx_log", "SELECT COUNT(*) AS n FROM tx_log"),
                ] {
                    if let Ok(row) = q(sql).fetch_one(&self.pool).await {
                        if let Ok(n) = count(&row) {
                            out.push((table.to_owned(), n));
                        }
                    }
                }
                out
            }
        }

        type QueryOf = sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments>;

        #[async_trait::async_trait]
        impl $crate::ports::Store for $store {
            fn pool_use(&self) -> Option<$crate::telemetry::PoolUse> {
                let max = self.pool.options().get_max_connections();
                Some($crate::telemetry::PoolUse { size: self.pool.size(), idle: self.pool.num_idle() as u32, max })
            }

            async fn migrate(&self) -> Result<()> {
                Self::MIGRATOR.run(&self.pool).await.map_err(|e| Error::Storage {
                    message: format!("applying {} migrations: {e}", Self::BACKEND),
                    source: Some(Box::new(e)),
                })
            }

            async fn status(&self) -> Result<StoreStatus> {
                let applied: Vec<(i64, String)> =
                    match q("SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version")
                        .fetch_all(&self.pool)
                        .await
                    {
                        Ok(rows) => rows
                            .iter()
                            .map(|r| Ok((r.int("version")?, r.text("description")?)))
                            .collect::<Result<_>>()?,
                        Err(sqlx::Error::Database(_)) => Vec::new(),
                        Err(e) => return Err(storage_error(e, "reading migrations")),
                    };
                let pending = Self::MIGRATOR
                    .iter()
                    .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
                    .map(|m| (m.version, m.description.to_string()))
                    .collect();
                Ok(StoreStatus { backend: Self::BACKEND.to_owned(), applied, pending, counts: self.counts().await })
            }

            async fn create_locker(&self, new: NewLocker, now: Timestamp) -> Result<Locker> {
                let mut tx = self.begin_write().await?;
                let locker = Self::insert_locker(&mut tx, new, micros(now)).await?;
                Self::commit(tx).await?;
                Ok(locker)
            }

            async fn create_lockers(&self, new: Vec<NewLocker>, now: Timestamp) -> Result<Vec<Locker>> {
                for n in &new {
                    n.validate()?;
                }
                let mut tx = self.begin_write().await?;
                let mut out = Vec::with_capacity(new.len());
                for n in new {
                    out.push(Self::insert_locker(&mut tx, n, micros(now)).await?);
                }
                Self::commit(tx).await?;
                Ok(out)
            }

            async fn get_locker(&self, id: Id) -> Result<Locker> {
                self.one(sql::SELECT_LOCKER_BY_ID, "locker", id, |q| q.id(Some(id)), rows::locker).await
            }

            async fn get_locker_by_code(&self, code: &str) -> Result<Locker> {
                self.one(sql::SELECT_LOCKER_BY_CODE, "locker", code, |q| q.text(Some(code.to_owned())), rows::locker)
                    .await
            }

            async fn update_locker(&self, locker: &Locker) -> Result<Locker> {
                let mut l = locker.clone();
                l.last_used_at = l.last_used_at.map(micros);
                l.created_at = micros(l.created_at);
                l.updated_at = micros(l.updated_at);
                NewLocker {
                    code: l.code.clone(),
                    station: l.station.clone(),
                    location: l.location.clone(),
                    size: l.size,
                    controller_id: l.controller_id,
                    relay_channel: l.relay_channel,
                    sensor_channel: l.sensor_channel,
                    price_per_hour: l.price_per_hour,
                }
                .validate()?;
                let mut tx = self.begin_write().await?;
                let done = sql::bind_locker(q(sql::UPDATE_LOCKER), &l).execute(&mut *tx).await.map_err(|e| {
                    write_error(e, "updating a locker", "controller_id", |_| Some(taken("locker", "code", &l.code)))
                })?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("locker", l.id));
                }
                Self::commit(tx).await?;
                Ok(l)
            }

            async fn list_lockers(&self, filter: &LockerFilter, page: Page) -> Result<Paged<Locker>> {
                self.page(
                    sql::LIST_LOCKERS,
                    sql::COUNT_LOCKERS,
                    page,
                    |q| sql::bind_locker_filter(q, filter),
                    rows::locker,
                )
                .await
            }

            async fn locker_board(&self, filter: &LockerFilter, page: Option<Page>) -> Result<LockerBoard> {
                if let Some(board) = self.inline_board(filter, page)? {
                    return Ok(board);
                }
                let Some(page) = page else {
                    // One statement is one snapshot: no transaction, no second round trip.
                    let rows = q(sql::LOCKER_BOARD)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| storage_error(e, "listing lockers"))?;
                    let all = rows.iter().map(rows::named_locker).collect::<Result<Vec<_>>>()?;
                    return Ok(LockerBoard::filtered(all, filter));
                };
                let page = Page::new(page.page, page.limit)?;
                let mut tx = self.begin_read().await?;
                let mut summary = StatusCounts::default();
                for row in q(sql::COUNT_LOCKERS_BY_STATUS)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "counting lockers"))?
                {
                    summary.add(row.parsed("status")?, count(&row)?);
                }
                let rows = sql::bind_locker_filter(q(sql::LOCKER_BOARD_PAGE), filter)
                    .int(Some(page.limit.into()))
                    .int(Some(page.offset()))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "listing lockers"))?;
                let matching = count(
                    &sql::bind_locker_filter(q(sql::COUNT_LOCKERS), filter)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| storage_error(e, "counting lockers"))?,
                )?;
                let lockers = rows.iter().map(rows::named_locker).collect::<Result<Vec<_>>>()?;
                Ok(LockerBoard { lockers, matching, summary })
            }

            async fn delete_locker(&self, id: Id) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let live = q(sql::COUNT_LIVE_RENTALS_OF_LOCKER)
                    .id(Some(id))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "checking rentals"))?;
                if count(&live)? > 0 {
                    return Err(Error::Conflict(format!("locker {id} has a live rental; end it first")));
                }
                let done = q(sql::DELETE_LOCKER).id(Some(id)).execute(&mut *tx).await.map_err(|e| match &e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => Error::Conflict(format!(
                        "locker {id} has rentals on record; set it to maintenance instead of deleting it"
                    )),
                    _ => storage_error(e, "deleting a locker"),
                })?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("locker", id));
                }
                Self::commit(tx).await
            }

            async fn set_locker_status(
                &self,
                id: Id,
                status: LockerStatus,
                log: NewTxLog,
                now: Timestamp,
            ) -> Result<Locker> {
                let mut tx = self.begin_write().await?;
                let done = q(sql::SET_LOCKER_STATUS)
                    .id(Some(id))
                    .text(Some(status.to_string()))
                    .ts(Some(micros(now)))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "setting a locker's status"))?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("locker", id));
                }
                Self::append_in(&mut tx, log).await?;
                Self::commit(tx).await?;
                self.get_locker(id).await
            }

            async fn set_locker_door(&self, id: Id, door: DoorState, now: Timestamp) -> Result<Locker> {
                let mut tx = self.begin_write().await?;
                let done = q(sql::SET_LOCKER_DOOR)
                    .id(Some(id))
                    .text(Some(door.to_string()))
                    .ts(Some(micros(now)))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "recording a door state"))?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("locker", id));
                }
                Self::commit(tx).await?;
                self.get_locker(id).await
            }

            async fn create_controller(&self, new: NewController, now: Timestamp) -> Result<Controller> {
                new.validate()?;
                let c = Controller {
                    id: new_id(),
                    name: new.name.trim().to_owned(),
                    station: new.station,
                    battery_percent: None,
                    firmware: None,
                    last_heartbeat_at: None,
                    active: true,
                    created_at: micros(now),
                };
                let mut tx = self.begin_write().await?;
                sql::bind_controller(q(sql::INSERT_CONTROLLER), &c)
                    .bytes(new.api_key_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        write_error(e, "creating a controller", "name", |_| Some(taken("controller", "name", &c.name)))
                    })?;
                Self::commit(tx).await?;
                Ok(c)
            }

            async fn get_controller(&self, id: Id) -> Result<Controller> {
                self.one(sql::SELECT_CONTROLLER_BY_ID, "controller", id, |q| q.id(Some(id)), rows::controller).await
            }

            async fn get_controller_by_name(&self, name: &str) -> Result<Controller> {
                self.one(
                    sql::SELECT_CONTROLLER_BY_NAME,
                    "controller",
                    name,
                    |q| q.text(Some(name.to_owned())),
                    rows::controller,
                )
                .await
            }

            async fn list_controllers(&self, page: Page) -> Result<Paged<Controller>> {
                self.page(sql::LIST_CONTROLLERS, sql::COUNT_CONTROLLERS, page, |q| q, rows::controller).await
            }

            async fn update_controller(&self, controller: &Controller) -> Result<Controller> {
                let mut c = controller.clone();
                c.created_at = micros(c.created_at);
                c.last_heartbeat_at = c.last_heartbeat_at.map(micros);
                let mut tx = self.begin_write().await?;
                let done =
                    sql::bind_controller(q(sql::UPDATE_CONTROLLER), &c).execute(&mut *tx).await.map_err(|e| {
                        write_error(e, "updating a controller", "name", |_| Some(taken("controller", "name", &c.name)))
                    })?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("controller", c.id));
                }
                Self::commit(tx).await?;
                Ok(c)
            }

            async fn create_user(&self, new: NewUser, now: Timestamp) -> Result<User> {
                new.validate()?;
                let now = micros(now);
                let u = User {
                    id: new_id(),
                    email: new.email,
                    phone: new.phone,
                    username: new.username,
                    full_name: new.full_name,
                    role: new.role,
                    password_hash: new.password_hash,
                    active: true,
                    balance: User::NO_BALANCE,
                    created_at: now,
                    updated_at: now,
                };
                self.write_user(sql::INSERT_USER, &u, "creating a user").await?;
                Ok(u)
            }

            async fn get_user(&self, id: Id) -> Result<User> {
                self.one(sql::USER_SELECT_BY_ID, "user", id, |q| q.id(Some(id)), rows::user).await
            }

            async fn get_user_by_email(&self, email: &str) -> Result<User> {
                self.one(sql::USER_SELECT_BY_EMAIL, "user", email, |q| q.text(Some(email.to_owned())), rows::user).await
            }

            async fn get_user_by_phone(&self, phone: &str) -> Result<User> {
                self.one(sql::USER_SELECT_BY_PHONE, "user", phone, |q| q.text(Some(phone.to_owned())), rows::user).await
            }

            async fn get_user_by_username(&self, username: &str) -> Result<User> {
                self.one(
                    sql::USER_SELECT_BY_USERNAME,
                    "user",
                    username,
                    |q| q.text(Some(username.to_owned())),
                    rows::user,
                )
                .await
            }

            async fn list_users(&self, filter: &UserFilter, page: Page) -> Result<Paged<User>> {
                self.page(
                    sql::LIST_USERS,
                    sql::COUNT_USERS,
                    page,
                    |q| q.text(sql::name(filter.role)).flag(filter.active),
                    rows::user,
                )
                .await
            }

            async fn update_user(&self, user: &User) -> Result<User> {
                if user.balance.minor() < 0 {
                    return Err(Error::validation("balance", "must not be negative"));
                }
                let mut u = user.clone();
                u.created_at = micros(u.created_at);
                u.updated_at = micros(u.updated_at);
                self.write_user(sql::UPDATE_USER, &u, "updating a user").await?;
                Ok(u)
            }

            async fn allocate_and_create_rental(
                &self,
                request: &AllocationRequest,
                rental: NewRental,
                log: NewTxLog,
                now: Timestamp,
            ) -> Result<(Rental, Locker)> {
                let now = micros(now);
                let hold = rental.locker_status()?;
                if rental.amount.minor() < 0 {
                    return Err(Error::validation("amount", "must not be negative"));
                }
                let mut tx = self.begin_write().await?;
                let candidates = Self::candidates(&mut tx, request).await?;
                let mut locker = $crate::alloc::choose(request, &candidates)?.clone();
                q(sql::SET_LOCKER_STATUS)
                    .id(Some(locker.id))
                    .text(Some(hold.to_string()))
                    .ts(Some(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "holding the locker"))?;
                locker.status = hold;
                locker.updated_at = now;
                let r = Rental {
                    id: new_id(),
                    locker_id: locker.id,
                    user_id: rental.user_id,
                    kind: rental.kind,
                    state: rental.state,
                    auth_method: rental.auth_method,
                    half_hours: rental.half_hours,
                    price_per_hour: locker.price_per_hour,
                    amount: rental.amount,
                    created_at: now,
                    started_at: rental.started_at.map(micros),
                    paid_until: rental.paid_until.map(micros),
                    last_access_at: None,
                    ended_at: None,
                };
                sql::bind_rental(q(sql::INSERT_RENTAL), &r)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, "creating a rental", "user_id", live_rental_conflict(&locker.code)))?;
                let log = NewTxLog { locker_id: Some(locker.id), rental_id: Some(r.id), ..log };
                Self::append_in(&mut tx, log).await?;
                Self::commit(tx).await?;
                Ok((r, locker))
            }

            async fn transition_rental(
                &self,
                rental_id: Id,
                expected: RentalState,
                updated: &Rental,
                locker_status: Option<LockerStatus>,
                log: NewTxLog,
            ) -> Result<Rental> {
                let mut tx = self.begin_write().await?;
                let r = Self::transition_in(&mut tx, rental_id, expected, updated, locker_status, log).await?;
                Self::commit(tx).await?;
                Ok(r)
            }

            async fn get_rental(&self, id: Id) -> Result<Rental> {
                self.one(sql::RENTAL_SELECT_BY_ID, "rental", id, |q| q.id(Some(id)), rows::rental).await
            }

            async fn list_rentals(&self, filter: &RentalFilter, page: Page) -> Result<Paged<Rental>> {
                self.page(
                    sql::LIST_RENTALS,
                    sql::COUNT_RENTALS,
                    page,
                    |q| sql::bind_rental_filter(q, filter),
                    rows::rental,
                )
                .await
            }

            async fn create_alert(&self, new: NewAlert, now: Timestamp) -> Result<Alert> {
                let a = Alert {
                    id: new_id(),
                    kind: new.kind,
                    severity: new.severity,
                    locker_id: new.locker_id,
                    controller_id: new.controller_id,
                    message: new.message,
                    created_at: micros(now),
                    resolved_at: None,
                    resolved_by: None,
                    resolution_note: None,
                };
                let mut tx = self.begin_write().await?;
                q(sql::INSERT_ALERT)
                    .id(Some(a.id))
                    .text(Some(a.kind.to_string()))
                    .text(Some(a.severity.to_string()))
                    .id(a.locker_id)
                    .id(a.controller_id)
                    .text(Some(a.message.clone()))
                    .ts(Some(a.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, "raising an alert", "locker_id", |_| None))?;
                Self::commit(tx).await?;
                Ok(a)
            }

            async fn list_alerts(&self, filter: &AlertFilter, page: Page) -> Result<Paged<Alert>> {
                self.page(sql::LIST_ALERTS, sql::COUNT_ALERTS, page, |q| sql::bind_alert_filter(q, filter), rows::alert)
                    .await
            }

            async fn resolve_alert(&self, id: Id, note: &str, by: Option<Id>, now: Timestamp) -> Result<Alert> {
                let mut tx = self.begin_write().await?;
                let done = q(sql::RESOLVE_ALERT)
                    .id(Some(id))
                    .ts(Some(micros(now)))
                    .id(by)
                    .text(Some(note.to_owned()))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "resolving an alert"))?;
                let row = q(sql::ALERT_SELECT_BY_ID)
                    .id(Some(id))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "reading an alert"))?;
                let alert = rows::alert(&found(row, "alert", id)?)?;
                if done.rows_affected() == 0 {
                    return Err(Error::Conflict(format!("alert {id} is already resolved")));
                }
                Self::commit(tx).await?;
                Ok(alert)
            }

            async fn append_log(&self, log: NewTxLog) -> Result<TxLogEntry> {
                let mut tx = self.begin_write().await?;
                let entry = Self::append_in(&mut tx, log).await?;
                Self::commit(tx).await?;
                Ok(entry)
            }

            async fn list_log(&self, filter: &TxLogFilter, page: Page) -> Result<Paged<TxLogEntry>> {
                self.page(sql::LIST_LOG, sql::COUNT_LOG, page, |q| sql::bind_log_filter(q, filter), rows::log_entry)
                    .await
            }

            async fn query_log(&self, query: &TxLogQuery, page: Page) -> Result<Paged<TxLogEntry>> {
                self.page(
                    sql::QUERY_LOG,
                    sql::COUNT_QUERY_LOG,
                    page,
                    |q| sql::bind_log_query(q, query),
                    rows::log_entry,
                )
                .await
            }

            async fn query_rentals(&self, query: &RentalQuery, page: Page) -> Result<Paged<Rental>> {
                self.page(
                    sql::QUERY_RENTALS,
                    sql::COUNT_QUERY_RENTALS,
                    page,
                    |q| sql::bind_rental_query(q, query),
                    rows::rental,
                )
                .await
            }

            async fn verify_log_chain(&self) -> Result<ChainReport> {
                let mut tx = self.begin_read().await?;
                let rows =
                    q(sql::ALL_LOG).fetch_all(&mut *tx).await.map_err(|e| storage_error(e, "reading the log"))?;
                let rows = rows.iter().map(rows::chained_row).collect::<Result<Vec<_>>>()?;
                let head = q(sql::SELECT_HEAD)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "reading the log head"))?
                    .map(|h| Ok::<_, Error>((h.int("last_seq")?, h.opt_bytes("last_hash")?.unwrap_or_default())))
                    .transpose()?;
                Ok(chain::verify(&rows, head))
            }
        }

        impl $store {
            async fn write_user(&self, sql: &'static str, u: &User, doing: &str) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sql::bind_user(q(sql), u).execute(&mut *tx).await.map_err(|e| {
                    write_error(e, doing, "id", |detail| {
                        let value = |v: &Option<String>| v.clone().unwrap_or_default();
                        if detail.contains("email") {
                            Some(taken("user", "email", &value(&u.email)))
                        } else if detail.contains("phone") {
                            Some(taken("user", "phone", &value(&u.phone)))
                        } else if detail.contains("username") {
                            Some(taken("user", "username", &value(&u.username)))
                        } else {
                            None
                        }
                    })
                })?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("user", u.id));
                }
                Self::commit(tx).await
            }
        }
    };
}
pub(crate) use impl_store;
