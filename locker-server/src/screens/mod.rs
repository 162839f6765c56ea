//! The web screens `locker serve` serves beside the API: hand-written HTML, CSS and ES
//! modules embedded in the binary (no build step, nothing fetched at run time), each screen
//! calling the JSON API and `/ws` like any other client.

pub mod console;
