//! Payments that are not the user's balance: WeChat Pay and Alipay go through a
//! [`PaymentProvider`] (the core's port). No real one is built in: [`NoProvider`] (the
//! default) refuses with a clear message, so an order is never marked paid without money
//! having moved, and [`SimulatedPayments`] (`locker serve --demo`) accepts every charge
//! without moving any money, labelled as such wherever it shows.

use std::collections::HashMap;
use std::sync::Mutex;

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

/// What the answers of a simulated payment say (seed 001's language).
pub const SIMULATED_NOTE: &str = "模拟支付（演示）：未实际扣款 / simulated payment (demo): no money moved";

/// A SIMULATED WeChat Pay / Alipay for demos: every charge is accepted and no money moves.
/// It behaves as a real provider would towards the order flows: a charge is taken once per
/// key (a repeated key is answered `Ok` without a second charge), and an amount that is not
/// positive is declined. Each accepted charge is logged as simulated.
#[derive(Debug, Default)]
pub struct SimulatedPayments {
    /// Charges taken, by key: method and amount.
    taken: Mutex<HashMap<String, (PaymentMethod, Money)>>,
}

impl SimulatedPayments {
    /// A provider with no charges yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The charges taken so far, as `(key, method, amount)`, ordered by key.
    pub fn charges(&self) -> Vec<(String, PaymentMethod, Money)> {
        let taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = taken.iter().map(|(k, (m, a))| (k.clone(), *m, *a)).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

#[async_trait::async_trait]
impl PaymentProvider for SimulatedPayments {
    async fn charge(
        &self,
        method: PaymentMethod,
        order_no: &str,
        key: &str,
        amount: Money,
    ) -> Result<(), PaymentRefused> {
        if amount.minor() <= 0 {
            return Err(PaymentRefused::Declined(format!("simulated {method}: the amount {amount} is not positive")));
        }
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        if taken.contains_key(key) {
            return Ok(());
        }
        taken.insert(key.to_owned(), (method, amount));
        tracing::info!(%method, order_no, %amount, "SIMULATED payment accepted (demo): no money moved");
        Ok(())
    }

    fn is_simulated(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_charged_once_and_nothing_free_is_charged() {
        let sim = SimulatedPayments::new();
        assert!(sim.is_simulated() && !NoProvider.is_simulated());
        sim.charge(PaymentMethod::Wechat, "O1", "O1/pay/2", Money(400)).await.unwrap();
        sim.charge(PaymentMethod::Wechat, "O1", "O1/pay/2", Money(400)).await.unwrap();
        sim.charge(PaymentMethod::Alipay, "O1", "O1/extend/2+1", Money(200)).await.unwrap();
        let refused = sim.charge(PaymentMethod::Alipay, "O2", "O2/pay/0", Money(0)).await.unwrap_err();
        assert!(matches!(refused, PaymentRefused::Declined(_)), "{refused}");
        let charges = sim.charges();
        assert_eq!(charges.len(), 2, "{charges:?}");
        assert_eq!(charges[1], ("O1/pay/2".into(), PaymentMethod::Wechat, Money(400)));
    }
}
