//! [`PaymentProvider`]: money taken for an order outside the user's balance (WeChat Pay,
//! Alipay). The balance itself is debited by the store, in the same transaction as the
//! order's change ([`OrderStore::change_order`](crate::ports::OrderStore::change_order)).
//!
//! The core has no provider built in; a shell that sells orders passes its own to the order
//! flows ([`crate::service::OrderDesk`]).

use crate::domain::Money;
use crate::error_code::ErrorCode;
use crate::orders::PaymentMethod;

/// Why a provider did not take the money. Nothing was taken, and the order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRefused {
    /// No provider is configured for this method.
    #[error("{0} payments are not configured on this server; pay with balance")]
    NotConfigured(PaymentMethod),
    /// The provider declined (reason in words).
    #[error("payment declined: {0}")]
    Declined(String),
}

impl PaymentRefused {
    /// The stable code of this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            PaymentRefused::NotConfigured(_) => ErrorCode::PaymentNotConfigured,
            PaymentRefused::Declined(_) => ErrorCode::PaymentDeclined,
        }
    }
}

/// Takes money for an order through an outside payment service.
///
/// The order flows call it at most once per change of an order within one service: two
/// payments of one order at the same time are serialised, and the second finds the order
/// paid before it charges. A provider shared by several server processes should still
/// refuse a second charge of the same `order_no` for the same purpose (its own idempotency).
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Charges `amount` for order `order_no` by `method` (never [`PaymentMethod::Balance`],
    /// which the store debits itself). `Ok` means the money was taken.
    async fn charge(&self, method: PaymentMethod, order_no: &str, amount: Money) -> Result<(), PaymentRefused>;
}
