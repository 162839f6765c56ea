//! Seed 000 (Face Locker) at `/api/v1`: one module per resource, JSON shapes in [`views`],
//! the route rows and the router in [`routes`].

pub mod alerts;
pub mod auth;
pub mod controllers;
pub mod kiosk;
pub mod lockers;
pub mod logs;
pub mod qr;
pub mod routes;
pub mod sessions;
pub mod stats;
pub mod users;
pub mod views;
