//! How seed 001 shows things: times in China Standard Time (UTC+08:00, as the seed's
//! examples), cabinet and order texts, order numbers, hours and money as `"2.00"`.

use chrono::FixedOffset;
use locker_core::domain::{Locker, LockerSize, LockerStatus, Money, Rental, RentalState, Timestamp};

/// UTC+08:00, the offset of the seed's examples.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// `2026-01-19T20:16:49.211115+08:00` (user and log times).
pub fn local_time(t: Timestamp) -> String {
    t.with_timezone(&cst()).to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// `2026-01-19T20:26:09` (order times: local, no offset, as the seed shows them).
pub fn naive_time(t: Timestamp) -> String {
    t.with_timezone(&cst()).format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `2026-01-19T20:30:23.874651+00:00` (command times).
pub fn utc_time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// The local date (`2026-01-19`) of `t`.
pub fn local_date(t: Timestamp) -> chrono::NaiveDate {
    t.with_timezone(&cst()).date_naive()
}

/// `size_display` of the seed's appendix.
pub fn size_display(size: LockerSize) -> &'static str {
    match size {
        LockerSize::Small => "小柜（放背包）",
        LockerSize::Medium => "中柜（放行李箱）",
        LockerSize::Large => "大柜（放多个行李）",
    }
}

/// The seed's cabinet status: `reserved` (held by a pending or paid order) shows as
/// `in_use`, the seed having no reserved state.
pub fn cabinet_status(status: LockerStatus) -> &'static str {
    match status {
        LockerStatus::Available => "available",
        LockerStatus::Reserved | LockerStatus::InUse => "in_use",
        LockerStatus::Maintenance => "maintenance",
    }
}

/// `status_display` of a cabinet.
pub fn cabinet_status_display(status: LockerStatus) -> &'static str {
    match cabinet_status(status) {
        "available" => "空闲",
        "in_use" => "使用中",
        _ => "维护中",
    }
}

/// `status_display` of an order.
pub fn order_status_display(state: RentalState) -> &'static str {
    match state.order_status() {
        "pending" => "待支付",
        "paid" => "已预约",
        "in_use" => "使用中",
        "completed" => "已完成",
        _ => "已取消",
    }
}

/// The rental states behind a seed order status; `None` for an unknown status.
pub fn states_of(order_status: &str) -> Option<Vec<RentalState>> {
    let states: Vec<RentalState> =
        RentalState::ALL.iter().copied().filter(|s| s.order_status() == order_status).collect();
    (!states.is_empty()).then_some(states)
}

/// `O` + creation time + four characters of the rental id + `Z` (the core's [`order_no`](locker_core::orders::order_no)).
pub use locker_core::orders::order_no;

/// Hours as `"2.00"`.
pub fn hours_text(half_hours: u32) -> String {
    format!("{}.{}", half_hours / 2, if half_hours % 2 == 1 { "50" } else { "00" })
}

/// The order's total: what was charged once paid, the booked time's price before.
pub fn total_amount(rental: &Rental) -> Money {
    rental.order_total()
}

/// Money as a JSON number in major units (`12.0`), as the admin statistics show it.
pub fn money_number(m: Money) -> f64 {
    m.minor() as f64 / 100.0
}

/// Whether the cabinet's door is shut (the seed's `is_locked`).
pub fn is_locked(locker: &Locker) -> bool {
    locker.door == locker_core::domain::DoorState::Closed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_follow_the_seed() {
        assert_eq!(hours_text(4), "2.00");
        assert_eq!(hours_text(1), "0.50");
        assert_eq!(cabinet_status(LockerStatus::Reserved), "in_use");
        assert_eq!(cabinet_status_display(LockerStatus::Maintenance), "维护中");
        assert_eq!(order_status_display(RentalState::Opening), "使用中");
        assert_eq!(states_of("in_use").unwrap(), vec![RentalState::Opening, RentalState::Active]);
        assert!(states_of("lost").is_none());
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-19T12:26:09.5Z").unwrap().to_utc();
        assert_eq!(naive_time(t), "2026-01-19T20:26:09");
        assert_eq!(local_time(t), "2026-01-19T20:26:09.500000+08:00");
        assert_eq!(utc_time(t), "2026-01-19T12:26:09.500000+00:00");
    }
}
