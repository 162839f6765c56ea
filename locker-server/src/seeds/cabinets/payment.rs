//! Payments that are not the user's balance: WeChat Pay and Alipay go through a
//! [`PaymentProvider`]. None is built in; [`NoProvider`] (the default) refuses with a clear
//! message, so an order is never marked paid without money having moved.

use locker_core::domain::Money;
use locker_core::orders::PaymentMethod;

/// Why a provider did not take the money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRefused {
    /// No provider is configured for this method.
    #[error("{0} payments are not configured on this server; pay with balance")]
    NotConfigured(PaymentMethod),
    /// The provider declined (reason in words).
    #[error("payment declined: {0}")]
    Declined(String),
}

/// Takes money for an order through an outside payment service.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Charges `amount` for order `order_no` by `method` (never [`PaymentMethod::Balance`],
    /// which the store debits itself). `Ok` means the money was taken.
    async fn charge(&self, method: PaymentMethod, order_no: &str, amount: Money) -> Result<(), PaymentRefused>;
}

/// The default: no outside payment service; every charge is refused as not configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProvider;

#[async_trait::async_trait]
impl PaymentProvider for NoProvider {
    async fn charge(&self, method: PaymentMethod, _order_no: &str, _amount: Money) -> Result<(), PaymentRefused> {
        Err(PaymentRefused::NotConfigured(method))
    }
}
