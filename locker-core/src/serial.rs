//! Serial transport (feature `serial`).
