//! `locker`: the command line for technicians and integrators.

fn main() {
    println!("locker {}", env!("CARGO_PKG_VERSION"));
}
