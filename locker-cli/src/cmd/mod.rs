//! One module per subcommand.

pub mod controllers;
pub mod db;
pub mod demo;
pub mod face;
pub mod keys;
pub mod lockers;
pub mod qr;
pub mod serve;
pub mod uart;
pub mod users;
