//! [`crate::ports::OrderStore`] for both backends, expanded per backend by
//! [`impl_order_store!`]. SQL is shared (`$N` placeholders) except the command dequeue,
//! which takes a row lock on PostgreSQL (`TAKE_COMMAND`, a backend constant; SQLite's
//! `BEGIN IMMEDIATE` already serialises writers). Tables in `migrations/*/0006_orders.sql`; the
//! board commands' queue is `controller_commands` (`0010_controller_commands.sql`, issue 19:
//! one queue for boards polling over HTTP and for processes driving a line), whose
//! `open_cabinet` rows a board's poll moves from `queued` to `done`.
//! `change_order` reuses the store's own rental transition (`transition_in`) inside its
//! transaction, so the compare-and-set, locker status and hash-chained log row are the
//! same code as [`crate::ports::Store::transition_rental`].

pub(crate) const ASSIGN_LOCKER_NUMBERS: &str = "INSERT INTO locker_numbers (locker_id) SELECT id FROM lockers WHERE id NOT IN (SELECT locker_id FROM locker_numbers) ORDER BY created_at, code ON CONFLICT (locker_id) DO NOTHING";
pub(crate) const LOCKER_NUMBERS: &str = "SELECT locker_id, number FROM locker_numbers";
pub(crate) const ASSIGN_ORDER: &str =
    "INSERT INTO order_numbers (rental_id) SELECT id FROM rentals WHERE id = $1 ON CONFLICT (rental_id) DO NOTHING";
pub(crate) const ORDER_NUMBER_OF: &str = "SELECT number FROM order_numbers WHERE rental_id = $1";
pub(crate) const ORDER_OF: &str = "SELECT rental_id FROM order_numbers WHERE number = $1";
/// The debit: only when the balance covers it.
pub(crate) const DEBIT: &str =
    "UPDATE users SET balance = balance - $2, updated_at = $3 WHERE id = $1 AND balance >= $2";
pub(crate) const INSERT_PAYMENT: &str = "INSERT INTO payments (id, rental_id, user_id, method, purpose, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const LIST_PAYMENTS: &str = "SELECT p.id, p.rental_id, p.user_id, p.method, p.purpose, p.amount, p.created_at, l.station FROM payments p JOIN rentals r ON r.id = p.rental_id JOIN lockers l ON l.id = r.locker_id WHERE p.created_at >= $1 AND p.created_at < $2 ORDER BY p.created_at, p.id";
pub(crate) const INSERT_COMMAND: &str = "INSERT INTO controller_commands (id, controller_id, command, locker_code, rental_id, state, created_at) VALUES ($1, $2, 'open_cabinet', $3, $4, 'queued', $5)";
/// [`INSERT_COMMAND`] unless an undelivered command for the same locker of the same
/// controller is waiting.
pub(crate) const QUEUE_COMMAND: &str = "INSERT INTO controller_commands (id, controller_id, command, locker_code, rental_id, state, created_at) SELECT $1, $2, 'open_cabinet', $3, $4, 'queued', $5 WHERE NOT EXISTS (SELECT 1 FROM controller_commands WHERE controller_id = $2 AND locker_code = $3 AND command = 'open_cabinet' AND state = 'queued')";
/// The dequeue without row locks (SQLite); `state = 'queued'` is checked again on the
/// row updated, so a command is never taken twice.
pub(crate) const TAKE_COMMAND: &str = "UPDATE controller_commands SET state = 'done', claimed_at = $2, finished_at = $2, outcome = 'delivered' WHERE state = 'queued' AND id = (SELECT id FROM controller_commands WHERE controller_id = $1 AND command = 'open_cabinet' AND state = 'queued' ORDER BY created_at, id LIMIT 1) RETURNING id, controller_id, command, locker_code, rental_id, created_at, claimed_at AS delivered_at";
pub(crate) const INSERT_DEVICE_LOG: &str = "INSERT INTO device_logs (controller_id, log_type, message, data, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING number";
pub(crate) const DEVICE_LOGS: &str = "SELECT number, controller_id, log_type, message, data, created_at FROM device_logs WHERE controller_id = $1 ORDER BY number DESC LIMIT $2";
pub(crate) const DEVICE_PROFILES: &str = "SELECT controller_id, display_name, location FROM device_profiles";
pub(crate) const SET_DEVICE_PROFILE: &str = "INSERT INTO device_profiles (controller_id, display_name, location) VALUES ($1, $2, $3) ON CONFLICT (controller_id) DO UPDATE SET display_name = excluded.display_name, location = excluded.location";

macro_rules! impl_order_store {
    ($store:ty, $db:ty) => {
        use std::collections::HashMap;

        use $crate::domain::{Id, Money, Rental, Timestamp, new_id};
        use $crate::orders::{DeviceCommand, DeviceLog, DeviceProfile, OrderChange, Payment};
        use $crate::ports::OrderStore;
        use $crate::store::orders as sql;
        use $crate::store::rows::RowRead;
        use $crate::store::sql::Binds;
        use $crate::store::{micros, storage_error, write_error};
        use $crate::{Error, Result};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        fn command_row(r: &<$db as sqlx::Database>::Row) -> Result<DeviceCommand> {
            Ok(DeviceCommand {
                id: r.id("id")?,
                controller_id: r.id("controller_id")?,
                command: r.text("command")?,
                locker_code: r.text("locker_code")?,
                rental_id: r.opt_id("rental_id")?,
                created_at: r.ts("created_at")?,
                delivered_at: r.opt_ts("delivered_at")?,
            })
        }

        #[async_trait::async_trait]
        impl OrderStore for $store {
            async fn locker_numbers(&self) -> Result<HashMap<Id, i64>> {
                let mut tx = self.begin_write().await?;
                q(sql::ASSIGN_LOCKER_NUMBERS)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "numbering lockers"))?;
                let rows = q(sql::LOCKER_NUMBERS)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "reading locker numbers"))?;
                Self::commit(tx).await?;
                rows.iter().map(|r| Ok((r.id("locker_id")?, r.int("number")?))).collect()
            }

            async fn order_number(&self, rental: Id) -> Result<i64> {
                q(sql::ASSIGN_ORDER)
                    .id(Some(rental))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "numbering an order"))?;
                let row = q(sql::ORDER_NUMBER_OF)
                    .id(Some(rental))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading an order number"))?;
                match row {
                    Some(r) => r.int("number"),
                    None => Err(Error::not_found("rental", rental)),
                }
            }

            async fn order_by_number(&self, number: i64) -> Result<Option<Id>> {
                let row = q(sql::ORDER_OF)
                    .int(Some(number))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading an order number"))?;
                row.map(|r| r.id("rental_id")).transpose()
            }

            async fn change_order(&self, change: OrderChange) -> Result<Rental> {
                let OrderChange { expected, updated, locker_status, log, charge, command } = change;
                if charge.as_ref().is_some_and(|c| c.amount.minor() < 0) {
                    return Err(Error::validation("amount", "must not be negative"));
                }
                let now = micros(log.created_at);
                let mut tx = self.begin_write().await?;
                let rental = Self::transition_in(&mut tx, updated.id, expected, &updated, locker_status, log).await?;
                if let Some(charge) = charge {
                    if charge.method == $crate::orders::PaymentMethod::Balance {
                        let debited = q(sql::DEBIT)
                            .id(Some(charge.user_id))
                            .int(Some(charge.amount.minor()))
                            .ts(Some(now))
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| storage_error(e, "debiting a balance"))?;
                        if debited.rows_affected() == 0 {
                            return Err(Error::InsufficientBalance);
                        }
                    }
                    q(sql::INSERT_PAYMENT)
                        .id(Some(new_id()))
                        .id(Some(rental.id))
                        .id(Some(charge.user_id))
                        .text(Some(charge.method.to_string()))
                        .text(Some(charge.purpose.to_string()))
                        .int(Some(charge.amount.minor()))
                        .ts(Some(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, "recording a payment", "user_id", |_| None))?;
                }
                if let Some(command) = command {
                    q(sql::INSERT_COMMAND)
                        .id(Some(new_id()))
                        .id(Some(command.controller_id))
                        .text(Some(command.locker_code))
                        .id(command.rental_id)
                        .ts(Some(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, "queueing a command", "controller_id", |_| None))?;
                }
                Self::commit(tx).await?;
                Ok(rental)
            }

            async fn list_payments(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Payment>> {
                let rows = q(sql::LIST_PAYMENTS)
                    .ts(Some(micros(from)))
                    .ts(Some(micros(to)))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "listing payments"))?;
                rows.iter()
                    .map(|r| {
                        Ok(Payment {
                            id: r.id("id")?,
                            rental_id: r.id("rental_id")?,
                            user_id: r.opt_id("user_id")?,
                            method: r.parsed("method")?,
                            purpose: r.parsed("purpose")?,
                            amount: Money(r.int("amount")?),
                            station: r.text("station")?,
                            created_at: r.ts("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn queue_command(&self, command: $crate::orders::NewCommand, now: Timestamp) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let queued = q(sql::QUEUE_COMMAND)
                    .id(Some(new_id()))
                    .id(Some(command.controller_id))
                    .text(Some(command.locker_code))
                    .id(command.rental_id)
                    .ts(Some(micros(now)))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, "queueing a command", "controller_id", |_| None))?;
                Self::commit(tx).await?;
                Ok(queued.rows_affected() == 1)
            }

            async fn take_command(&self, controller: Id, now: Timestamp) -> Result<Option<DeviceCommand>> {
                let mut tx = self.begin_write().await?;
                let row = q(<$store>::TAKE_COMMAND)
                    .id(Some(controller))
                    .ts(Some(micros(now)))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "taking a command"))?;
                Self::commit(tx).await?;
                row.as_ref().map(command_row).transpose()
            }

            async fn append_device_log(
                &self,
                controller: Id,
                log_type: &str,
                message: &str,
                data: &serde_json::Value,
                now: Timestamp,
            ) -> Result<DeviceLog> {
                let now = micros(now);
                let row = q(sql::INSERT_DEVICE_LOG)
                    .id(Some(controller))
                    .text(Some(log_type.to_owned()))
                    .text(Some(message.to_owned()))
                    .json(data)
                    .ts(Some(now))
                    .fetch_one(&mut *self.writes().await?)
                    .await
                    .map_err(|e| write_error(e, "writing a device log", "controller_id", |_| None))?;
                Ok(DeviceLog {
                    number: row.int("number")?,
                    controller_id: controller,
                    log_type: log_type.to_owned(),
                    message: message.to_owned(),
                    data: data.clone(),
                    created_at: now,
                })
            }

            async fn device_logs(&self, controller: Id, limit: u32) -> Result<Vec<DeviceLog>> {
                let rows = q(sql::DEVICE_LOGS)
                    .id(Some(controller))
                    .int(Some(i64::from(limit)))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading device logs"))?;
                rows.iter()
                    .map(|r| {
                        Ok(DeviceLog {
                            number: r.int("number")?,
                            controller_id: r.id("controller_id")?,
                            log_type: r.text("log_type")?,
                            message: r.text("message")?,
                            data: r.json("data")?,
                            created_at: r.ts("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn device_profiles(&self) -> Result<HashMap<Id, DeviceProfile>> {
                let rows = q(sql::DEVICE_PROFILES)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading device profiles"))?;
                rows.iter()
                    .map(|r| {
                        let profile = DeviceProfile {
                            display_name: r.opt_text("display_name")?,
                            location: r.opt_text("location")?,
                        };
                        Ok((r.id("controller_id")?, profile))
                    })
                    .collect()
            }

            async fn set_device_profile(&self, controller: Id, profile: &DeviceProfile) -> Result<()> {
                q(sql::SET_DEVICE_PROFILE)
                    .id(Some(controller))
                    .text(profile.display_name.clone())
                    .text(profile.location.clone())
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| write_error(e, "saving a device profile", "device_id", |_| None))?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_order_store;
