//! The sans-IO link layer to a v1 lock controller (issue 4).
