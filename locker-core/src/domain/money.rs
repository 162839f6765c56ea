use serde::{Deserialize, Serialize};

/// An amount of money in integer minor units (cents, xu, fen). Rendered as `"2.00"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// From minor units.
    pub const fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::str::FromStr for Money {
    type Err = crate::Error;

    /// Parses `"2"`, `"2.5"` or `"2.00"` (at most two decimals) into minor units.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::Error::validation("price", format!("{s:?} is not an amount like 2.00"));
        let t = s.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
        let minor = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
        Ok(Money(if neg { -minor } else { minor }))
    }
}
