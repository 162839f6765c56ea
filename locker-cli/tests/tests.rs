//! CLI integration tests: one module per area, one test binary.

mod tokens;
