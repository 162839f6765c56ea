//! The touch and browser screens served beside the API: hand-written HTML, CSS and ES
//! modules from `locker-server/assets/`, embedded in the binary (no build step, nothing
//! fetched at build or run time), each screen a router of its own.

pub mod kiosk;
