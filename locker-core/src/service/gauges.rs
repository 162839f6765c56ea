//! Sampling the gauges of [`crate::telemetry`] (controllers, heartbeat ages, the database
//! pool): they describe the state now, so an exporter samples them just before it renders.

use crate::Result;
use crate::ports::all_pages;

use super::LockerService;

impl LockerService {
    /// Sets the sampled gauges of [`crate::telemetry`] from the database as it is now:
    /// controllers online and offline, each controller's heartbeat age, and the use of the
    /// database's connection pool.
    pub async fn record_gauges(&self) -> Result<()> {
        let controllers = all_pages(|page| self.store().list_controllers(page)).await?;
        crate::telemetry::controllers(&controllers, self.now());
        if let Some(pool) = self.store().pool_use() {
            crate::telemetry::pool_use(pool);
        }
        Ok(())
    }
}
