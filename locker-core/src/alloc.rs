//! The allocation policy: which free locker fits a request.
//!
//! TODO(issue 2): smallest size that fits with optional fallback, station/location filter,
//! never maintenance/reserved/in use/open or unknown door, least recently used first, or an
//! explicitly requested locker.
