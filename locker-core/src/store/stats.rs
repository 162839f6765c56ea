//! [`crate::ports::StatsStore`] for both backends: the SQL is written once here and
//! expanded per backend by [`impl_stats_store!`].
//!
//! Time arithmetic is done on whole microseconds since 1970 (a backend provides
//! `epoch_micros(expr)`, the one part written per backend), so grouping by hour, weekday
//! or date at an offset is integer division and never depends on the session's time zone.
//! Durations are cut to whole seconds per rental, as [`chrono::TimeDelta::num_seconds`]
//! does, before they are summed.
//!
//! The statement text depends only on the grouping (fixed SQL and integer offsets), never
//! on caller text; every value is bound.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::domain::{RentalState, Timestamp};
use crate::ports::{Moment, PaymentGrouping, PaymentKey, RentalGrouping, TallyKey};
use crate::{Error, Result};

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 86_400_000_000;
/// 1970-01-01 was a Thursday: days since then plus this, modulo 7, counts from Monday.
const EPOCH_DAYS_FROM_MONDAY: i64 = 3;

/// `'a', 'b'` for the states `keep` selects, for an SQL `IN (...)`.
fn states_sql(keep: impl Fn(RentalState) -> bool) -> String {
    RentalState::ALL.iter().filter(|s| keep(**s)).map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// The SQL of a rental tally. `$1`/`$2` bound `created_at`, `$3` the locker, `$4` the kind,
/// `$5`/`$6` the same bounds as microseconds (for the time held inside the window).
pub(crate) fn rental_tally_sql(epoch_micros: fn(&str) -> String, by: RentalGrouping) -> String {
    let moment = |m: Moment| match m {
        Moment::Created => "created_us",
        Moment::Started => "start_us",
        Moment::Ended => "end_us",
    };
    let key = match by {
        RentalGrouping::All => "'all'".to_owned(),
        RentalGrouping::State => "state".to_owned(),
        RentalGrouping::AuthMethod => "auth_method".to_owned(),
        RentalGrouping::Locker => "CAST(locker_id AS TEXT)".to_owned(),
        RentalGrouping::Hour(m, offset) => time_key(moment(m), offset, Unit::Hour),
        RentalGrouping::Weekday(m, offset) => time_key(moment(m), offset, Unit::Weekday),
        RentalGrouping::Day(m, offset) => time_key(moment(m), offset, Unit::Day),
    };
    // One group of everything has no `GROUP BY` (PostgreSQL refuses a text constant there).
    let group = if by == RentalGrouping::All { String::new() } else { format!("GROUP BY {key}") };
    let live = states_sql(RentalState::is_live);
    let unpriced = states_sql(|s| s == RentalState::PendingPayment);
    let completed = states_sql(|s| s == RentalState::Completed);
    let (created, start, end) =
        (epoch_micros("created_at"), epoch_micros("COALESCE(started_at, created_at)"), epoch_micros("ended_at"));
    format!(
        "WITH r AS (\
           SELECT state, auth_method, locker_id, amount, half_hours, price_per_hour, \
             {created} AS created_us, {start} AS start_us, {end} AS end_us \
           FROM rentals \
           WHERE ($1 IS NULL OR created_at >= $1) AND ($2 IS NULL OR created_at < $2) \
             AND ($3 IS NULL OR locker_id = $3) AND ($4 IS NULL OR kind = $4)\
         ), t AS (\
           SELECT r.*, \
             CASE WHEN state IN ({completed}) AND end_us > start_us THEN (end_us - start_us) / 1000000 END AS timed_s, \
             CASE WHEN start_us > $5 THEN start_us ELSE $5 END AS busy_from, \
             CASE WHEN state IN ({live}) THEN $6 WHEN end_us IS NULL THEN NULL \
               WHEN end_us < $6 THEN end_us ELSE $6 END AS busy_to, \
             CASE WHEN state IN ({unpriced}) OR amount = 0 THEN (price_per_hour * half_hours + 1) / 2 \
               ELSE amount END AS order_total \
           FROM r\
         ) \
         SELECT {key} AS k, COUNT(*) AS n, \
           CAST(SUM(CASE WHEN state IN ({completed}) AND end_us IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS completed, \
           COUNT(timed_s) AS timed, CAST(COALESCE(SUM(timed_s), 0) AS BIGINT) AS timed_s, \
           CAST(COALESCE(SUM(CASE WHEN busy_to > busy_from THEN (busy_to - busy_from) / 1000000 END), 0) AS BIGINT) \
             AS busy_s, \
           CAST(COALESCE(SUM(order_total), 0) AS BIGINT) AS order_total, MAX(start_us) AS last_start_us \
         FROM t {group}"
    )
}

/// The SQL of a payment tally: `$1`/`$2` bound the payment time.
pub(crate) fn payment_tally_sql(epoch_micros: fn(&str) -> String, by: PaymentGrouping) -> String {
    let key = match by {
        PaymentGrouping::All => "'all'".to_owned(),
        PaymentGrouping::Day(offset) => time_key(&epoch_micros("p.created_at"), offset, Unit::Day),
        PaymentGrouping::Station => "l.station".to_owned(),
    };
    let group = if by == PaymentGrouping::All { String::new() } else { format!("GROUP BY {key}") };
    format!(
        "SELECT {key} AS k, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS amount, \
           COUNT(DISTINCT p.rental_id) AS orders \
         FROM payments p JOIN rentals r ON r.id = p.rental_id JOIN lockers l ON l.id = r.locker_id \
         WHERE p.created_at >= $1 AND p.created_at < $2 {group}"
    )
}

enum Unit {
    Hour,
    Weekday,
    Day,
}

/// The key text of a time in microseconds `micros`, shifted by `offset`.
fn time_key(micros: &str, offset: FixedOffset, unit: Unit) -> String {
    let shifted = format!("({micros} + {})", i64::from(offset.local_minus_utc()) * 1_000_000);
    let number = match unit {
        Unit::Hour => format!("({shifted} / {MICROS_PER_HOUR}) % 24"),
        Unit::Weekday => format!("({shifted} / {MICROS_PER_DAY} + {EPOCH_DAYS_FROM_MONDAY}) % 7"),
        Unit::Day => format!("{shifted} / {MICROS_PER_DAY}"),
    };
    format!("CAST({number} AS TEXT)")
}

fn bad_key(key: &str) -> Error {
    super::rows::corrupt("k", format!("unexpected tally key {key:?}"))
}

fn number(key: &str) -> Result<i64> {
    key.parse().map_err(|_| bad_key(key))
}

/// The date `days` days after 1970-01-01.
fn date(days: i64) -> Result<NaiveDate> {
    DateTime::from_timestamp(days * 86_400, 0).map(|t| t.date_naive()).ok_or_else(|| bad_key(&days.to_string()))
}

/// A tally key read back from the key text of `by`.
pub(crate) fn rental_key(by: RentalGrouping, key: &str) -> Result<TallyKey> {
    let small = |k: &str| u32::try_from(number(k)?).map_err(|_| bad_key(k));
    Ok(match by {
        RentalGrouping::All => TallyKey::All,
        RentalGrouping::State => TallyKey::State(key.parse().map_err(|_| bad_key(key))?),
        RentalGrouping::AuthMethod => TallyKey::AuthMethod(key.parse().map_err(|_| bad_key(key))?),
        RentalGrouping::Locker => TallyKey::Locker(key.parse().map_err(|_| bad_key(key))?),
        RentalGrouping::Hour(..) => TallyKey::Hour(small(key)?),
        RentalGrouping::Weekday(..) => TallyKey::Weekday(small(key)?),
        RentalGrouping::Day(..) => TallyKey::Day(date(number(key)?)?),
    })
}

/// A payment key read back from the key text of `by`.
pub(crate) fn payment_key(by: PaymentGrouping, key: String) -> Result<PaymentKey> {
    Ok(match by {
        PaymentGrouping::All => PaymentKey::All,
        PaymentGrouping::Day(_) => PaymentKey::Day(date(number(&key)?)?),
        PaymentGrouping::Station => PaymentKey::Station(key),
    })
}

/// Microseconds since 1970 as a time.
pub(crate) fn from_micros(us: i64) -> Result<Timestamp> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| super::rows::corrupt("last_start_us", "out of range"))
}

macro_rules! impl_stats_store {
    ($store:ty, $db:ty) => {
        use $crate::Result;
        use $crate::domain::{Money, Timestamp};
        use $crate::ports::{PaymentGrouping, PaymentTally, RentalGrouping, RentalTally, RentalWindow, StatsStore};
        use $crate::store::rows::RowRead;
        use $crate::store::sql::{Binds, name};
        use $crate::store::stats;
        use $crate::store::storage_error;

        fn count(row: &<$db as sqlx::Database>::Row, col: &str) -> Result<u64> {
            Ok(row.int(col)?.max(0) as u64)
        }

        #[async_trait::async_trait]
        impl StatsStore for $store {
            async fn tally_rentals(&self, window: &RentalWindow, by: RentalGrouping) -> Result<Vec<RentalTally>> {
                let sql = stats::rental_tally_sql(<$store>::epoch_micros, by);
                let rows = sqlx::query::<$db>(sqlx::AssertSqlSafe(sql))
                    .ts(window.from)
                    .ts(window.to)
                    .id(window.locker_id)
                    .text(name(window.kind))
                    .int(window.from.map(|t| t.timestamp_micros()))
                    .int(window.to.map(|t| t.timestamp_micros()))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "tallying rentals"))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let rentals = count(row, "n")?;
                    // A row of nothing: the one group of an empty window, or rentals without a key.
                    let (Some(key), 1..) = (row.opt_text("k")?, rentals) else { continue };
                    out.push(RentalTally {
                        key: stats::rental_key(by, &key)?,
                        rentals,
                        completed: count(row, "completed")?,
                        timed: count(row, "timed")?,
                        timed_seconds: row.int("timed_s")?,
                        busy_seconds: row.int("busy_s")?,
                        order_total: Money(row.int("order_total")?),
                        last_start: row.opt_int("last_start_us")?.map(stats::from_micros).transpose()?,
                    });
                }
                out.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(out)
            }

            async fn tally_payments(
                &self,
                from: Timestamp,
                to: Timestamp,
                by: PaymentGrouping,
            ) -> Result<Vec<PaymentTally>> {
                let sql = stats::payment_tally_sql(<$store>::epoch_micros, by);
                let rows = sqlx::query::<$db>(sqlx::AssertSqlSafe(sql))
                    .ts(Some(from))
                    .ts(Some(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "tallying payments"))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let orders = count(row, "orders")?;
                    if orders == 0 {
                        continue; // the one group of an empty period
                    }
                    out.push(PaymentTally {
                        key: stats::payment_key(by, row.text("k")?)?,
                        amount: Money(row.int("amount")?),
                        orders,
                    });
                }
                out.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(out)
            }
        }
    };
}
pub(crate) use impl_stats_store;
