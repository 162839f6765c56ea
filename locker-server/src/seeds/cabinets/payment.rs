//! Payments that are not the user's balance: WeChat Pay and Alipay go through a
//! [`PaymentProvider`] (the core's port). None is built in; [`NoProvider`] (the default)
//! refuses with a clear message, so an order is never marked paid without money having moved.

use locker_core::domain::Money;
use locker_core::orders::PaymentMethod;
pub use locker_core::ports::{PaymentProvider, PaymentRefused};

/// The default: no outside payment service; every charge is refused as not configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProvider;

#[async_trait::async_trait]
impl PaymentProvider for NoProvider {
    async fn charge(&self, method: PaymentMethod, _: &str, _: &str, _: Money) -> Result<(), PaymentRefused> {
        Err(PaymentRefused::NotConfigured(method))
    }
}
