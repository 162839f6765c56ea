//! A cabinet's records for the service tests: controller `SIM_001` of station `S1` and its
//! lockers `A01`.. wired relay and sensor to channels 1...

use chrono::Utc;
use locker_core::domain::{Controller, Locker, LockerSize, Money, NewController, NewLocker};
use locker_core::ports::Store;

/// Creates controller `SIM_001` and `lockers` small lockers wired to its channels 1 to `lockers`.
pub async fn sim_cabinet(store: &dyn Store, lockers: u16) -> (Controller, Vec<Locker>) {
    let now = Utc::now();
    let new = NewController { name: "SIM_001".into(), station: "S1".into(), api_key_hash: None };
    let controller = store.create_controller(new, now).await.expect("create the controller");
    let new_lockers = (1..=lockers)
        .map(|i| NewLocker {
            code: format!("A{i:02}"),
            station: "S1".into(),
            location: "Floor 1".into(),
            size: LockerSize::Small,
            controller_id: Some(controller.id),
            relay_channel: i,
            sensor_channel: i,
            price_per_hour: Money(200),
        })
        .collect();
    let lockers = store.create_lockers(new_lockers, now).await.expect("create the lockers");
    (controller, lockers)
}
