//! The web screens `locker serve` serves beside the API: hand-written HTML, CSS and ES
//! modules from `locker-server/assets/`, embedded in the binary (no build step, nothing
//! fetched at build or run time), each screen a router of its own calling the JSON API and
//! `/ws` like any other client.

pub mod console;
pub mod kiosk;
