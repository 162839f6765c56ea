//! A simulated v1 lock controller (issue 4).
