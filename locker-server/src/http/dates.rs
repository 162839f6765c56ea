//! Dates from clients: only years 0001 to 9999 are accepted on every surface. That is the
//! range RFC 3339 writes, both databases store and compare as expected, and in which a
//! period's arithmetic (a day more, 30 days before, an offset of hours) cannot overflow;
//! outside it chrono's arithmetic panics.

use chrono::Datelike as _;

/// The first and last years accepted.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Whether `date` is in the accepted range.
pub fn supported(date: chrono::NaiveDate) -> bool {
    YEARS.contains(&date.year())
}

/// What a client is told about a date out of range.
pub const OUT_OF_RANGE: &str = "out of range: dates from 0001-01-01 to 9999-12-31";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_dates_are_out_of_range() {
        let date = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 5).unwrap();
        assert!(supported(date(1)) && supported(date(2026)) && supported(date(9999)));
        assert!(!supported(date(0)) && !supported(date(-262_143)) && !supported(date(10_000)));
    }
}
