//! [`ConnectionGate`]: how many connections are open, overall and per client address, and
//! whether one more may be. Pure counting (no IO); a [`Permit`] gives its place back when
//! dropped, so a connection task that ends in any way frees it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds its maximum of connections (answered 503).
    Full,
    /// This client address holds its maximum (answered 429).
    AddressFull,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// Open-connection counts against two caps.
#[derive(Debug, Clone)]
pub struct ConnectionGate {
    max_total: usize,
    max_per_address: usize,
    counts: Arc<Mutex<Counts>>,
}

/// One admitted connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Permit {
    address: IpAddr,
    counts: Arc<Mutex<Counts>>,
}

/// The address a cap counts: IPv4 clients reaching an IPv6 socket count as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    address.to_canonical()
}

impl ConnectionGate {
    /// A gate admitting `max_total` connections, at most `max_per_address` from one address.
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self { max_total, max_per_address, counts: Arc::default() }
    }

    /// Admits one more connection from `address`, or says which cap it hits.
    pub fn admit(&self, address: IpAddr) -> Result<Permit, Refusal> {
        let address = canonical(address);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.max_total {
            return Err(Refusal::Full);
        }
        let mine = counts.per_address.entry(address).or_insert(0);
        if *mine >= self.max_per_address {
            return Err(Refusal::AddressFull);
        }
        *mine += 1;
        counts.total += 1;
        Ok(Permit { address, counts: self.counts.clone() })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_address.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn caps_one_address_while_others_get_in() {
        let gate = ConnectionGate::new(10, 2);
        let (a1, _a2) = (gate.admit(A).unwrap(), gate.admit(A).unwrap());
        assert_eq!(gate.admit(A).unwrap_err(), Refusal::AddressFull);
        let _b = gate.admit(B).unwrap();
        drop(a1);
        let _a3 = gate.admit(A).expect("a freed place is given again");
        assert_eq!(gate.open(), 3);
    }

    #[test]
    fn caps_the_total_before_the_address() {
        let gate = ConnectionGate::new(2, 5);
        let _held = (gate.admit(A).unwrap(), gate.admit(B).unwrap());
        assert_eq!(gate.admit(A).unwrap_err(), Refusal::Full);
    }

    #[test]
    fn an_ipv4_mapped_address_counts_as_its_ipv4() {
        let gate = ConnectionGate::new(10, 1);
        let _a = gate.admit(A).unwrap();
        let mapped = IpAddr::V6(std::net::Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(gate.admit(mapped).unwrap_err(), Refusal::AddressFull);
    }
}
