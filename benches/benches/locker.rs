//! Criterion benches, named `area/case/variant`: `cargo bench -p locker-benches`.
//! Filter one area with `cargo bench -p locker-benches -- wire/`.
//!
//! Each area lives in its own module with a `define(&mut Criterion)` (jiff `bench/`).

use criterion::Criterion;

mod face;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    face::define(&mut c);
    c.final_summary();
}
