//! Criterion benches: `cargo bench -p locker-benches`.

use criterion::Criterion;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    c.final_summary();
}
