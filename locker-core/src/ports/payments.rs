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
/// Within one service the order flows call it at most once per change of an order: two
/// payments of one order at the same time are serialised, and the second finds the order
/// paid before it charges. Across server processes on one database, two payments racing
/// can both reach the provider; they pass the same `key`, so a provider that takes money
/// once per key (WeChat Pay's and Alipay's `out_trade_no` work so) charges once, and the
/// database's compare-and-set lets one of them change the order.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Charges `amount` for order `order_no` by `method` (never [`PaymentMethod::Balance`],
    /// which the store debits itself). `key` names this one charge (the order, what it pays
    /// for and the order's booked time before it): every attempt at the same charge passes
    /// the same key, and the next charge of the order another one. `Ok` means the money was
    /// taken, now or by an earlier call with the same key.
    async fn charge(
        &self,
        method: PaymentMethod,
        order_no: &str,
        key: &str,
        amount: Money,
    ) -> Result<(), PaymentRefused>;

    /// Whether this provider only pretends (a demo): no money really moves. Shells say so in
    /// their answers. Real providers keep the default, `false`.
    fn is_simulated(&self) -> bool {
        false
    }
}
