//! CLI tests: one binary, one module per subcommand (ripgrep style). Each runs the built
//! `locker` binary on temporary files.

mod face;
mod lockers;
mod serve;
mod tokens;
mod uart;
