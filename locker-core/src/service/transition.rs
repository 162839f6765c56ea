//! One rental transition persisted: the rental machine's step, the locker status it asks
//! for and the log row saying who did it and how, written compare-and-set in one store call.
//! Every flow that moves a rental (the rental flows, the door cycles, reconciliation) goes
//! through [`LockerService::transition`].

use serde_json::{Value, json};

use crate::Result;
use crate::domain::{AuthMethod, Id, LockerStatus, NewTxLog, Rental, RentalAction, RentalEvent, TxAction};

use super::LockerService;

/// Who did something and how, for the log row of a transition.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LogCtx {
    actor: Option<Id>,
    auth: Option<AuthMethod>,
    details: Value,
}

impl LogCtx {
    /// The service itself (sensor, timer).
    pub(super) fn system(details: Value) -> Self {
        Self { actor: None, auth: None, details }
    }

    pub(super) fn person(actor: Option<Id>, auth: AuthMethod, score: Option<f32>) -> Self {
        let details = match score {
            Some(score) => json!({ "confidence_score": score }),
            None => json!({}),
        };
        Self { actor, auth: Some(auth), details }
    }

    /// Staff acting by hand (force-open), with the reason they gave.
    pub(super) fn admin(admin: Id, reason: &str) -> Self {
        Self { actor: Some(admin), auth: Some(AuthMethod::Admin), details: json!({ "reason": reason }) }
    }
}

impl LockerService {
    pub(super) fn log_row(&self, action: TxAction, ctx: LogCtx, locker: Option<Id>, rental: Option<Id>) -> NewTxLog {
        NewTxLog {
            locker_id: locker,
            rental_id: rental,
            actor_id: ctx.actor,
            auth_method: ctx.auth,
            details: ctx.details,
            device: Some(self.config.kiosk.clone()),
            ..NewTxLog::new(action, self.now())
        }
    }

    /// Applies `event` to `rental` and persists it compare-and-set, with the locker status
    /// the machine asks for (or `status` when given) and its log row.
    pub(super) async fn transition(
        &self,
        rental: &Rental,
        event: RentalEvent,
        status: Option<LockerStatus>,
        ctx: LogCtx,
    ) -> Result<Rental> {
        let (next, actions) = rental.apply(event, self.now())?;
        let wanted = RentalAction::locker_status(&actions);
        let action = RentalAction::log_action(&actions).unwrap_or(TxAction::Cancel);
        let log = self.log_row(action, ctx, Some(rental.locker_id), Some(rental.id));
        self.store().transition_rental(rental.id, rental.state, &next, status.or(wanted), log).await
    }
}
