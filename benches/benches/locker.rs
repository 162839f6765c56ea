//! Criterion benches, named `area/case/variant`: `cargo bench -p locker-benches`.
//! Filter one area with `cargo bench -p locker-benches -- wire/`.
//!
//! Each area lives in its own module with a `define(&mut Criterion)` (jiff `bench/`).

use criterion::Criterion;

mod alloc;
mod face;
mod token;
mod wire;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    alloc::define(&mut c);
    face::define(&mut c);
    token::define(&mut c);
    wire::define(&mut c);
    face::define(&mut c);
    c.final_summary();
}
