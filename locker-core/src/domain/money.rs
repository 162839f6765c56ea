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
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
        let minor = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
        Ok(Money(if neg { -minor } else { minor }))
    }
}

/// A rental duration in half hours: at least 0.5 h, in 0.5 h steps (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HalfHours(pub u32);

impl HalfHours {
    /// The longest bookable duration: 30 days.
    pub const MAX: HalfHours = HalfHours(30 * 48);

    /// From hours written as a decimal (`"0.5"`, `"2"`, `"1.50"`), validated: at least 0.5,
    /// a multiple of 0.5, at most [`Self::MAX`]. Exact: no floating point.
    pub fn parse_hours(text: &str) -> crate::Result<Self> {
        let bad = |why: &str| crate::Error::validation("duration", format!("{text:?}: {why}"));
        let t = text.trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a number of hours"));
        }
        let frac = frac.trim_end_matches('0');
        let half = match frac {
            "" => 0,
            "5" => 1,
            _ => return Err(bad("must be a multiple of 0.5 hours")),
        };
        let whole: u32 = whole.parse().map_err(|_| bad("too long"))?;
        let halves = whole.checked_mul(2).and_then(|w| w.checked_add(half)).ok_or_else(|| bad("too long"))?;
        Self::new(halves).map_err(|_| bad("must be at least 0.5 hours and at most 720 hours"))
    }

    /// From a JSON number of hours. Accepted only when `hours * 2` is a whole number, which
    /// binary floating point represents exactly for every multiple of 0.5 in range.
    pub fn from_hours_f64(hours: f64) -> crate::Result<Self> {
        let halves = hours * 2.0;
        if !halves.is_finite() || halves.fract() != 0.0 || halves < 1.0 || halves > f64::from(Self::MAX.0) {
            return Err(crate::Error::validation(
                "duration",
                format!("{hours} hours: must be a multiple of 0.5 between 0.5 and 720"),
            ));
        }
        Ok(HalfHours(halves as u32))
    }

    /// From a count of half hours, validated (1 ..= [`Self::MAX`]).
    pub fn new(half_hours: u32) -> crate::Result<Self> {
        if half_hours == 0 || half_hours > Self::MAX.0 {
            return Err(crate::Error::validation("duration", "must be at least 0.5 hours and at most 720 hours"));
        }
        Ok(HalfHours(half_hours))
    }

    /// The smallest number of half hours covering `elapsed` (each started half hour counts).
    pub fn covering(elapsed: chrono::TimeDelta) -> Self {
        let secs = elapsed.num_seconds().max(0) as u64;
        HalfHours(u32::try_from(secs.div_ceil(1800)).unwrap_or(u32::MAX))
    }

    /// As a time span.
    pub fn duration(self) -> chrono::TimeDelta {
        chrono::TimeDelta::minutes(30 * i64::from(self.0))
    }

    /// The price of this many half hours at `per_hour`, rounded half up to the minor unit
    /// (`2.01/h` for 0.5 h is `1.01`). Exact integer arithmetic.
    pub fn price(self, per_hour: Money) -> Money {
        let twice = i128::from(per_hour.0) * i128::from(self.0);
        // twice / 2, rounding half away from zero.
        let rounded = if twice >= 0 { (twice + 1) / 2 } else { (twice - 1) / 2 };
        Money(i64::try_from(rounded).unwrap_or(if twice >= 0 { i64::MAX } else { i64::MIN }))
    }

    /// The duration in hours as text (`"1.5"`), for display.
    pub fn hours_text(self) -> String {
        if self.0 % 2 == 0 { format!("{}", self.0 / 2) } else { format!("{}.5", self.0 / 2) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_renders_and_parses_two_decimals() {
        assert_eq!(Money(200).to_string(), "2.00");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(-150).to_string(), "-1.50");
        assert_eq!("2".parse::<Money>().unwrap(), Money(200));
        assert_eq!("2.5".parse::<Money>().unwrap(), Money(250));
        assert_eq!("0.07".parse::<Money>().unwrap(), Money(7));
        for bad in ["", "2.001", "abc", "1.2.3", ".5", "99999999999999999999"] {
            let err = bad.parse::<Money>().unwrap_err();
            assert!(err.to_string().contains("price"), "{bad}: {err}");
        }
    }

    #[test]
    fn half_hours_accept_only_half_hour_steps() {
        assert_eq!(HalfHours::parse_hours("0.5").unwrap(), HalfHours(1));
        assert_eq!(HalfHours::parse_hours("1.50").unwrap(), HalfHours(3));
        assert_eq!(HalfHours::parse_hours("24").unwrap(), HalfHours(48));
        for bad in ["0", "0.0", "0.25", "1.2", "-1", "", "x", "721"] {
            let err = HalfHours::parse_hours(bad).unwrap_err();
            assert!(err.to_string().contains("duration"), "{bad}: {err}");
        }
        assert_eq!(HalfHours::from_hours_f64(2.5).unwrap(), HalfHours(5));
        assert!(HalfHours::from_hours_f64(0.3).is_err());
        assert!(HalfHours::from_hours_f64(f64::NAN).is_err());
        assert!(HalfHours::from_hours_f64(0.0).is_err());
        assert_eq!(HalfHours(3).hours_text(), "1.5");
    }

    #[test]
    fn price_is_exact_and_rounds_half_up() {
        assert_eq!(HalfHours(1).price(Money(200)), Money(100));
        assert_eq!(HalfHours(3).price(Money(200)), Money(300));
        assert_eq!(HalfHours(1).price(Money(201)), Money(101));
        assert_eq!(HalfHours(HalfHours::MAX.0).price(Money(i64::MAX)), Money(i64::MAX));
    }

    #[test]
    fn covering_counts_each_started_half_hour() {
        assert_eq!(HalfHours::covering(chrono::TimeDelta::zero()), HalfHours(0));
        assert_eq!(HalfHours::covering(chrono::TimeDelta::seconds(1)), HalfHours(1));
        assert_eq!(HalfHours::covering(chrono::TimeDelta::minutes(30)), HalfHours(1));
        assert_eq!(HalfHours::covering(chrono::TimeDelta::minutes(31)), HalfHours(2));
    }
}
