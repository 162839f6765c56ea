//! # locker-core
//!
//! The library every locker kiosk, parcel cabinet and luggage station can build on: which
//! locker to give whom, the life of a rental and of a door, codes and tokens, faces, the
//! wire to the lock controller, and storage.
//!
//! ## Overview
//! - [`domain`]: lockers, controllers, users, rentals, doors, alerts and the transaction log
//!   as plain serde types, plus the rental and door state machines (pure functions).
//! - [`alloc`]: the allocation policy (which free locker fits a request).
//! - [`token`]: passwords, access/refresh tokens, OTP, pickup codes, QR tokens, API keys.
//! - [`controller`]: the lock-controller stack — [`controller::wire`] and
//!   [`controller::link`] (sans-IO protocol), [`controller::io`] (its IO thread),
//!   [`controller::sim`] (a simulated controller), `controller::serial` (feature `serial`).
//! - [`store`]: the [`ports::Store`] trait's SQLite and PostgreSQL implementations.
//! - `face` (feature `face`): detection, alignment, embedding and matching.
//! - `service`: [`service::LockerService`], the seeds' flows composed from all of the above.
//! - [`barcode`]: scanner records (seed 002) checked against their symbology;
//!   [`accounts`]: integer user numbers for the seed surfaces;
//!   [`orders`]: paid orders with atomic balance debits, payments, and commands queued
//!   for controllers that poll over HTTP (seed 001).
//!
//! The protocol and domain logic are sans-IO: they take bytes, events and time and return
//! bytes and actions. IO sits at the edges behind the small traits in [`ports`].
//!
//! ## Crate features
//! - `sqlite` (default): SQLite storage.
//! - `postgres` (default): PostgreSQL storage.
//! - `face` (default): the face pipeline on ONNX models (tract).
//! - `serial` (default): the serial transport to real lock controllers.
//! - `kiosk`: [`kiosk`], blocking facades (shared runtime, controller, service) for the C
//!   and Python bindings.
#![deny(missing_docs)]

pub mod accounts;
pub mod alloc;
pub mod barcode;
pub mod controller;
pub mod domain;
pub mod error;
#[cfg(feature = "face")]
pub mod face;
#[cfg(feature = "kiosk")]
pub mod kiosk;
pub mod orders;
pub mod ports;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod service;
pub mod store;
#[cfg(all(feature = "test-utils", any(feature = "sqlite", feature = "postgres")))]
pub mod testing;
pub mod token;

pub use error::{Error, ErrorCode, Result};
