//! The order flows (seed 001): create, pay, extend, cancel, expire when left unpaid, and
//! open by pickup code.
//!
//! An order is a rental of kind `order`, held `reserved` from creation (one live rental per
//! locker). Paying (`pending` -> `paid`) debits the balance in the same transaction as the
//! state change ([`OrderStore::change_order`](crate::ports::OrderStore::change_order)), or
//! charges the [`PaymentProvider`] for `wechat`/`alipay` first, then issues the pickup code.
//! Extending a paid or in-use order charges the added time the same way. Only pending
//! orders can be cancelled. An order left unpaid for [`PAYMENT_WINDOW`](crate::orders::PAYMENT_WINDOW)
//! expires and frees its locker; every reader sees it expired, not only the housekeeping.
//!
//! Refusals are the core's errors, so each shell words them itself:
//!
//! | refusal | error |
//! |---|---|
//! | the cabinet's door still closes after the previous customer, or the cabinet is taken | [`Error::Conflict`], [`Error::NoAvailableLocker`] |
//! | pay or cancel an order that is not pending; the order moved meanwhile | [`Error::Conflict`] |
//! | extend an order that is neither paid nor in use | [`Error::Transition`] (event `extend`, the rental's state) |
//! | create, pay or extend: nothing can open the cabinet (no controller, or a deactivated one), checked before any money moves | [`Error::NotOpenable`] |
//! | the balance does not cover the amount | [`Error::InsufficientBalance`] |
//! | the provider did not take the money | [`Error::Payment`] |
//! | open by code: the cabinet has no controller | [`Error::NotOpenable`] |
//! | open by code: the order is opening, or no longer live | [`Error::Transition`] (event [`OPEN_BY_CODE`], the rental's state) |
//! | open by code: the door is busy, or the order moved meanwhile | [`Error::Conflict`] |
//! | an order someone else holds (and the viewer is not an admin) | [`Error::NotFound`] |

use std::sync::Arc;

use serde_json::{Value, json};

use crate::alloc::{AllocationRequest, LockerChoice};
use crate::domain::{
    AuthMethod, HalfHours, Id, Locker, LockerStatus, Money, NewTxLog, Rental, RentalAction, RentalEvent, RentalKind,
    RentalState, Role, Timestamp, TransitionError, TxAction, User,
};
use crate::orders::{Charge, OrderChange, PICKUP_GRACE, PaymentMethod, PaymentPurpose, order_no};
use crate::ports::{NewRental, PaymentProvider};
use crate::token::pickup::PickupCodes;
use crate::{Error, Result};

use super::LockerService;

/// The device written on the log rows of the order flows: orders are made online, not at
/// a kiosk.
pub const ONLINE: &str = "api";

/// The event named by the [`TransitionError`] of an opening by code refused for the
/// order's state (`opening`: its door has not closed since the last opening; anything not
/// live: the order is over).
pub const OPEN_BY_CODE: &str = "open_by_code";

/// What an order flow needs that the service does not hold: the payment provider and the
/// pickup codes (their pepper) of the shell that sells orders. One per shell, shared by
/// its handlers.
#[derive(Clone)]
pub struct OrderDesk {
    /// Takes money for `wechat` and `alipay`.
    pub payments: Arc<dyn PaymentProvider>,
    /// Issues and checks pickup codes.
    pub pickup: Arc<PickupCodes>,
}

impl std::fmt::Debug for OrderDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderDesk").finish_non_exhaustive()
    }
}

/// An order with what every view of it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Its integer number (`/api/orders/<number>/`).
    pub number: i64,
    /// The rental.
    pub rental: Rental,
    /// Its locker (the seed's cabinet).
    pub locker: Locker,
}

/// A paid order and the pickup code that opens its locker.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidOrder {
    /// The order, `Reserved`.
    pub order: Order,
    /// The 6-digit pickup code, valid until [`PICKUP_GRACE`] after the paid end.
    pub pickup_code: String,
}

/// The refusal of order flow `event` for an order in `state`: a [`TransitionError`] of the
/// rental machine naming the rental state (`pending_payment`, `opening`, ...) and the flow.
fn refused_in_state(state: RentalState, event: &str) -> Error {
    TransitionError { machine: "rental", state: state.as_str().into(), event: event.into() }.into()
}

/// The key of the charge moving `before` to `after` (see [`PaymentProvider::charge`]):
/// `O…Z/pay/4` for paying four booked half hours, `O…Z/extend/4+2` for adding two to four.
fn charge_key(order_no: &str, purpose: PaymentPurpose, before: &Rental, after: &Rental) -> String {
    match purpose {
        PaymentPurpose::Pay => format!("{order_no}/pay/{}", after.half_hours),
        PaymentPurpose::Extend => {
            format!("{order_no}/extend/{}+{}", before.half_hours, after.half_hours - before.half_hours)
        }
    }
}

/// A log row of an order flow: `actor` acting online with a password login.
fn order_log(action: TxAction, actor: Id, details: Value, now: Timestamp) -> NewTxLog {
    NewTxLog {
        actor_id: Some(actor),
        auth_method: Some(AuthMethod::Password),
        details,
        device: Some(ONLINE.into()),
        ..NewTxLog::new(action, now)
    }
}

impl LockerService {
    /// Books the locker with code `cabinet` for `user`, `half_hours` long: the allocation of
    /// that locker, the order (`PendingPayment`) and its log row in one transaction. An
    /// order on it left unpaid past the window is expired first; a locker whose door is
    /// still finishing the previous customer's cycle is refused ([`Error::Conflict`]).
    /// A cabinet nothing can open is refused ([`Error::NotOpenable`]) before the order exists.
    pub async fn create_order(&self, user: Id, cabinet: &str, half_hours: HalfHours) -> Result<Order> {
        let locker = self.store().get_locker_by_code(cabinet).await?;
        self.ensure_openable(&locker).await?;
        if let Some(held) = self.live_rental(locker.id).await? {
            self.expire_if_unpaid_by(held, self.now(), ONLINE).await?;
        }
        if self.busy_doors().contains(&locker.id) {
            return Err(Error::Conflict(format!(
                "the door of cabinet {} is still closing after the previous customer; try again shortly",
                locker.code
            )));
        }
        let now = self.now();
        let new = NewRental {
            user_id: Some(user),
            kind: RentalKind::Order,
            state: RentalState::PendingPayment,
            auth_method: AuthMethod::Password,
            half_hours: half_hours.0,
            amount: Money(0),
            started_at: None,
            paid_until: None,
        };
        let log = order_log(TxAction::Reserve, user, json!({ "duration_half_hours": half_hours.0 }), now);
        let request = AllocationRequest::explicit(LockerChoice::Id(locker.id));
        let (rental, locker) = self.store().allocate_and_create_rental(&request, new, log, now).await?;
        let number = self.stores.database.order_number(rental.id).await?;
        Ok(Order { number, rental, locker })
    }

    /// Order number `number` as `viewer` may see it: their own, or any for an admin.
    /// Someone else's order is [`Error::NotFound`], as is a rental that is not an order.
    /// An order left unpaid past the window is expired first.
    pub async fn order_for(&self, number: i64, viewer: &User) -> Result<Order> {
        let not_found = || Error::not_found("order", number);
        let id = self.stores.database.order_by_number(number).await?.ok_or_else(not_found)?;
        let rental = self.store().get_rental(id).await?;
        let rental = self.expire_if_unpaid_by(rental, self.now(), ONLINE).await?;
        if rental.kind != RentalKind::Order || (rental.user_id != Some(viewer.id) && viewer.role != Role::Admin) {
            return Err(not_found());
        }
        let locker = self.store().get_locker(rental.locker_id).await?;
        Ok(Order { number, rental, locker })
    }

    /// The order of a rental the caller already holds (a listing's item), expired first if
    /// left unpaid past the window.
    pub async fn order_of(&self, rental: Rental) -> Result<Order> {
        let rental = self.expire_if_unpaid_by(rental, self.now(), ONLINE).await?;
        let number = self.stores.database.order_number(rental.id).await?;
        let locker = self.store().get_locker(rental.locker_id).await?;
        Ok(Order { number, rental, locker })
    }

    /// `rental` as it is now: an order left unpaid past the payment window is expired
    /// (rental `Expired`, locker `available` and a `cancel` log row, in one transaction).
    /// Paid or cancelled meanwhile by someone else: read again as it now is.
    pub async fn expire_if_unpaid(&self, rental: Rental) -> Result<Rental> {
        self.expire_if_unpaid_by(rental, self.now(), ONLINE).await
    }

    /// [`expire_if_unpaid`](Self::expire_if_unpaid) at `now` with `device` on the log row
    /// (the housekeeping passes its tick's time and writes the kiosk's name).
    pub(super) async fn expire_if_unpaid_by(&self, rental: Rental, now: Timestamp, device: &str) -> Result<Rental> {
        if !crate::orders::unpaid_past_window(&rental, now) {
            return Ok(rental);
        }
        let (next, _) = rental.apply(RentalEvent::Expire, now)?;
        let log = NewTxLog {
            details: json!({
                "reason": "not paid in time",
                "payment_window_minutes": crate::orders::PAYMENT_WINDOW.num_minutes(),
            }),
            device: Some(device.to_owned()),
            ..NewTxLog::new(TxAction::Cancel, now)
        };
        let expected = RentalState::PendingPayment;
        match self.store().transition_rental(rental.id, expected, &next, Some(LockerStatus::Available), log).await {
            Ok(expired) => Ok(expired),
            Err(Error::Conflict(_)) => self.store().get_rental(rental.id).await,
            Err(e) => Err(e),
        }
    }

    /// Pays a pending order as `payer` by `method`, then issues its pickup code. The money is
    /// taken once: payments of one order are serialised in this service and each re-reads
    /// the order first, so the second finds it paid ([`Error::Conflict`]) before charging.
    pub async fn pay_order(
        &self,
        desk: &OrderDesk,
        order: &Order,
        payer: Id,
        method: PaymentMethod,
    ) -> Result<PaidOrder> {
        let _serialised = self.order_lock(order.rental.id).await;
        let order = self.reread(order).await?;
        if order.rental.state != RentalState::PendingPayment {
            return Err(Error::Conflict(format!("the order is {}", order.rental.state.order_status())));
        }
        let rental = self.charge_event(desk, &order, payer, RentalEvent::Pay, method, PaymentPurpose::Pay).await?;
        let order = Order { rental, ..order };
        let pickup_code = self.issue_pickup_code(desk, &order).await?;
        Ok(PaidOrder { order, pickup_code })
    }

    /// Adds `added` to a paid or in-use order as `payer`, charging the added time by
    /// `method`. Any other state is [`Error::Transition`] (event `extend`); an order that
    /// moved meanwhile is [`Error::Conflict`].
    pub async fn extend_order(
        &self,
        desk: &OrderDesk,
        order: &Order,
        payer: Id,
        added: HalfHours,
        method: PaymentMethod,
    ) -> Result<Order> {
        let _serialised = self.order_lock(order.rental.id).await;
        let order = self.reread(order).await?;
        if !matches!(order.rental.state, RentalState::Reserved | RentalState::Active) {
            return Err(refused_in_state(order.rental.state, "extend"));
        }
        let event = RentalEvent::Extend { half_hours: added.0 };
        let rental = self.charge_event(desk, &order, payer, event, method, PaymentPurpose::Extend).await?;
        Ok(Order { rental, ..order })
    }

    /// Cancels a pending order as `actor`, freeing its locker. Any other state, or an order
    /// that moved meanwhile, is [`Error::Conflict`].
    pub async fn cancel_order(&self, order: &Order, actor: Id) -> Result<Order> {
        let not_pending = |rental: &Rental| Error::Conflict(format!("the order is {}", rental.state.order_status()));
        if order.rental.state != RentalState::PendingPayment {
            return Err(not_pending(&order.rental));
        }
        let now = self.now();
        let (next, _) = order.rental.apply(RentalEvent::Cancel, now).map_err(|e| Error::Conflict(e.to_string()))?;
        let log = order_log(TxAction::Cancel, actor, json!({}), now);
        let expected = RentalState::PendingPayment;
        let available = Some(LockerStatus::Available);
        let rental = self.store().transition_rental(order.rental.id, expected, &next, available, log).await?;
        Ok(Order { rental, ..order.clone() })
    }

    /// The live pickup code of a paid order (`Reserved`), issuing it again if payment
    /// happened but issuing did not; `None` in any other state.
    pub async fn pickup_code(&self, desk: &OrderDesk, order: &Order) -> Result<Option<String>> {
        if order.rental.state != RentalState::Reserved {
            return Ok(None);
        }
        let tokens = self.tokens().as_ref();
        if let Some(live) = desk.pickup.live_code(tokens, &order.locker.code, order.rental.id, self.now()).await? {
            return Ok(Some(live));
        }
        Ok(Some(self.issue_pickup_code(desk, order).await?))
    }

    /// Opens the cabinet with code `cabinet` by `code`, for `actor` (anyone holding the
    /// code: the code is the credential; tries are limited per cabinet per hour). The code is
    /// checked and used up, then the order is opened ([`LockerService::open_by_pickup`]: a
    /// paid order goes in use, an order in use is completed and frees the cabinet). After
    /// the first opening the same code is issued again for the pickup; a refused opening of
    /// a live order issues it again too.
    pub async fn open_order_by_code(&self, desk: &OrderDesk, cabinet: &str, code: &str, actor: Id) -> Result<Order> {
        let locker = self.store().get_locker_by_code(cabinet).await?;
        self.ensure_openable(&locker).await?;
        let rental_id = desk.pickup.redeem(self.tokens().as_ref(), &locker.code, code, self.now()).await?;
        let order = self.order_of(self.store().get_rental(rental_id).await?).await?;
        let opened = match order.rental.state {
            RentalState::Reserved | RentalState::Active => self.open_by_pickup(order.rental.id, Some(actor)).await,
            state => Err(refused_in_state(state, OPEN_BY_CODE)),
        };
        match opened {
            Ok(rental) => {
                let order = Order { rental, ..order };
                if order.rental.state == RentalState::Opening {
                    self.issue_pickup_code(desk, &order).await?;
                }
                Ok(order)
            }
            Err(refused) => {
                // The code was used up by the check; a refused opening of a live order keeps it.
                let order = self.order_of(self.store().get_rental(order.rental.id).await?).await?;
                if order.rental.state.is_live() {
                    self.issue_pickup_code(desk, &order).await?;
                }
                Err(refused)
            }
        }
    }

    /// Issues the order's pickup code, valid until [`PICKUP_GRACE`] after its paid end.
    async fn issue_pickup_code(&self, desk: &OrderDesk, order: &Order) -> Result<String> {
        let now = self.now();
        let expires = order.rental.paid_until.unwrap_or(now) + PICKUP_GRACE;
        let tokens = self.tokens().as_ref();
        let (code, _) = desk.pickup.issue_derived(tokens, &order.locker.code, order.rental.id, now, expires).await?;
        Ok(code)
    }

    /// Refuses `locker` when nothing can open its door: no controller wired to it, or a
    /// controller deactivated by staff. Checked before an order is made and before money
    /// is taken for one, so no one pays for a door nobody can open.
    pub async fn ensure_openable(&self, locker: &Locker) -> Result<()> {
        let Some(controller) = locker.controller_id else {
            return Err(Error::NotOpenable(format!(
                "cabinet {} has no device (controller) to open it; an admin must attach one first",
                locker.code
            )));
        };
        let controller = self.store().get_controller(controller).await?;
        if !controller.active {
            return Err(Error::NotOpenable(format!(
                "the device {} of cabinet {} is deactivated; an admin must reactivate it first",
                controller.name, locker.code
            )));
        }
        Ok(())
    }

    /// `order` as stored now (another caller may have moved it while this one waited).
    async fn reread(&self, order: &Order) -> Result<Order> {
        let rental =
            self.expire_if_unpaid_by(self.store().get_rental(order.rental.id).await?, self.now(), ONLINE).await?;
        Ok(Order { rental, ..order.clone() })
    }

    /// Applies `event` to `order` as `payer`, taking the money it adds by `method`: a
    /// provider is charged first (nothing is written if it refuses); the balance is debited
    /// by the store in the change itself. A cabinet nothing can open (as stored now) is
    /// refused before either.
    async fn charge_event(
        &self,
        desk: &OrderDesk,
        order: &Order,
        payer: Id,
        event: RentalEvent,
        method: PaymentMethod,
        purpose: PaymentPurpose,
    ) -> Result<Rental> {
        self.ensure_openable(&self.store().get_locker(order.locker.id).await?).await?;
        let now = self.now();
        let (next, actions) = order.rental.apply(event, now)?;
        let amount = Money(next.amount.minor() - order.rental.amount.minor());
        let locker_status = RentalAction::locker_status(&actions);
        let action = if purpose == PaymentPurpose::Pay { TxAction::Pay } else { TxAction::Extend };
        if method != PaymentMethod::Balance {
            let order_no = order_no(&order.rental);
            let key = charge_key(&order_no, purpose, &order.rental, &next);
            desk.payments.charge(method, &order_no, &key, amount).await?;
        }
        let details = json!({ "payment_method": method, "amount": amount.to_string() });
        let change = OrderChange {
            expected: order.rental.state,
            updated: next,
            locker_status,
            log: order_log(action, payer, details, now),
            charge: Some(Charge { user_id: payer, method, purpose, amount }),
            command: None,
        };
        self.stores.database.change_order(change).await
    }

    /// The lock serialising the changes of order `rental_id` that take money.
    async fn order_lock(&self, rental_id: Id) -> tokio::sync::OwnedMutexGuard<()> {
        self.order_locks.lock(rental_id).await
    }
}
