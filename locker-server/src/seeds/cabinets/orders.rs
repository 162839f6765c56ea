//! Orders: create, my orders, detail, pay, extend, cancel.
//!
//! An order is a rental of kind `order` on a named cabinet, held `reserved` from creation
//! (one live rental per locker). Paying (`pending` -> `paid`) debits the balance in the
//! same transaction as the state change ([`locker_core::ports::OrderStore::change_order`])
//! or goes through the [`super::payment::PaymentProvider`] for `wechat`/`alipay`, then
//! issues the 6-digit pickup code. Extending a paid or in-use order charges the added time
//! the same way (`payment_method` optional, default `balance`). Only pending orders can be
//! cancelled. An order left unpaid for [`locker_core::orders::PAYMENT_WINDOW`] expires (shown `cancelled`) and frees
//! its cabinet. Another user's order is `404 订单不存在`; admins see every order.

use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use locker_core::Error;
use locker_core::alloc::{AllocationRequest, LockerChoice};
use locker_core::domain::{
    AuthMethod, Locker, LockerStatus, Money, NewTxLog, Rental, RentalAction, RentalEvent, RentalKind, RentalState,
    Role, Timestamp, TxAction, User,
};
use locker_core::orders::{Charge, OrderChange, PaymentMethod, PaymentPurpose};
use locker_core::ports::{NewRental, Page, RentalFilter, RentalQuery};
use serde_json::{Map, Value, json};

use super::CabinetsState;
use super::auth::Caller;
use super::envelope::{Body, Entity, Fail, PathText, Reply, hours, query_pairs, query_value, required_str};
use super::payment::PaymentRefused;
use super::views::{hours_text, naive_time, order_no, order_status_display, states_of, total_amount};

/// How long a pickup code stays valid after the paid end (the renter may come late).
pub const PICKUP_GRACE: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// `rental` as it is now: an order left unpaid past
/// [`PAYMENT_WINDOW`](locker_core::orders::PAYMENT_WINDOW) is expired first, freeing its
/// cabinet (the service's housekeeping does the same every pass).
pub async fn expire_if_unpaid(state: &CabinetsState, rental: Rental) -> Result<Rental, Fail> {
    locker_core::orders::expire_if_unpaid(state.store.as_ref(), rental, state.now(), "api").await.map_err(Fail::core)
}

/// The live rental of `locker`, if any.
pub async fn live_rental(state: &CabinetsState, locker: &Locker) -> Result<Option<Rental>, Fail> {
    let filter = RentalFilter { locker_id: Some(locker.id), live_only: true, ..Default::default() };
    let page = Page::new(1, 1).map_err(Fail::core)?;
    Ok(state.store.list_rentals(&filter, page).await.map_err(Fail::core)?.items.pop())
}

/// An order with what every view needs.
pub struct Order {
    /// Its integer number.
    pub number: i64,
    /// The rental.
    pub rental: Rental,
    /// Its cabinet.
    pub locker: Locker,
}

impl Order {
    /// `status` and `status_display`.
    fn status(&self) -> (&'static str, &'static str) {
        (self.rental.state.order_status(), order_status_display(self.rental.state))
    }

    /// The order as created: number, cabinet, status, hours and money.
    pub fn booking_json(&self) -> Value {
        let (status, display) = self.status();
        json!({
            "id": self.number,
            "order_no": order_no(&self.rental),
            "cabinet_id": self.locker.code,
            "cabinet_size": self.locker.size,
            "status": status,
            "status_display": display,
            "duration_hours": hours_text(self.rental.half_hours),
            "price_per_hour": self.rental.price_per_hour.to_string(),
            "total_amount": total_amount(&self.rental).to_string(),
        })
    }

    /// The item of `GET /api/orders/my/`.
    pub fn list_json(&self) -> Value {
        let (status, display) = self.status();
        json!({
            "id": self.number,
            "order_no": order_no(&self.rental),
            "cabinet_id": self.locker.code,
            "status": status,
            "status_display": display,
            "duration_hours": hours_text(self.rental.half_hours),
            "total_amount": total_amount(&self.rental).to_string(),
            "created_at": naive_time(self.rental.created_at),
            "end_time": self.rental.paid_until.map(naive_time),
        })
    }
}

/// Loads order `raw` (its number as text) for `caller`: `404 订单不存在` when there is no
/// such order or it is someone else's (admins see all).
pub async fn load(state: &CabinetsState, raw: &str, caller: &User) -> Result<Order, Fail> {
    let not_found = || Fail::not_found(Entity::Order, raw);
    let number: i64 = raw.parse().map_err(|_| not_found())?;
    let id = state.store.order_by_number(number).await.map_err(Fail::core)?.ok_or_else(not_found)?;
    let rental = state.store.get_rental(id).await.map_err(|e| Fail::from_core(e, Entity::Order))?;
    let rental = expire_if_unpaid(state, rental).await?;
    if rental.kind != RentalKind::Order || (rental.user_id != Some(caller.id) && caller.role != Role::Admin) {
        return Err(not_found());
    }
    let locker = state.store.get_locker(rental.locker_id).await.map_err(Fail::core)?;
    Ok(Order { number, rental, locker })
}

/// An order from a rental the caller already holds (expired first if left unpaid).
pub async fn order_of(state: &CabinetsState, rental: Rental) -> Result<Order, Fail> {
    let rental = expire_if_unpaid(state, rental).await?;
    let number = state.store.order_number(rental.id).await.map_err(Fail::core)?;
    let locker = state.store.get_locker(rental.locker_id).await.map_err(Fail::core)?;
    Ok(Order { number, rental, locker })
}

/// The caller and the order the path names (`404 订单不存在` when it is someone else's).
pub struct CallerOrder(pub User, pub Order);

impl FromRequestParts<CabinetsState> for CallerOrder {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, state: &CabinetsState) -> Result<Self, Self::Rejection> {
        let Caller(caller) = Caller::from_request_parts(parts, state).await?;
        let Ok(PathText(raw)) = PathText::from_request_parts(parts, state).await;
        let order = load(state, &raw, &caller).await?;
        Ok(CallerOrder(caller, order))
    }
}

/// A log row for a change `caller` made to `rental`.
fn log_row(action: TxAction, caller: &User, details: Value, now: Timestamp) -> NewTxLog {
    NewTxLog {
        actor_id: Some(caller.id),
        auth_method: Some(AuthMethod::Password),
        details,
        device: Some("api".into()),
        ..NewTxLog::new(action, now)
    }
}

/// `POST /api/orders/create/`: `201 订单创建成功`.
pub async fn create(
    State(state): State<CabinetsState>,
    Caller(caller): Caller,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let code = required_str(&body, "cabinet_id")?.trim();
    let duration = hours(&body, "duration_hours")?;
    let locker = state.store.get_locker_by_code(code).await.map_err(|e| Fail::from_core(e, Entity::Cabinet))?;
    if let Some(held) = live_rental(&state, &locker).await? {
        expire_if_unpaid(&state, held).await?;
    }
    // A cabinet whose door is still finishing the previous customer's cycle is not booked.
    if state.service.as_ref().is_some_and(|s| s.busy_doors().contains(&locker.id)) {
        return Err(Fail::refused(
            "柜子不可用",
            format!(
                "the door of cabinet {} is still closing after the previous customer; try again shortly",
                locker.code
            ),
        ));
    }
    let now = state.now();
    let new = NewRental {
        user_id: Some(caller.id),
        kind: RentalKind::Order,
        state: RentalState::PendingPayment,
        auth_method: AuthMethod::Password,
        half_hours: duration.0,
        amount: Money(0),
        started_at: None,
        paid_until: None,
    };
    let log = log_row(TxAction::Reserve, &caller, json!({ "duration_half_hours": duration.0 }), now);
    let request = AllocationRequest::explicit(LockerChoice::Id(locker.id));
    let (rental, locker) =
        state.store.allocate_and_create_rental(&request, new, log, now).await.map_err(|e| match e {
            Error::Conflict(why) => Fail::refused("柜子不可用", why),
            other => Fail::from_core(other, Entity::Cabinet),
        })?;
    let order = Order { number: state.store.order_number(rental.id).await.map_err(Fail::core)?, rental, locker };
    Ok(Reply::created("订单创建成功", order.booking_json()))
}

/// `GET /api/orders/my/?status`: the caller's orders, newest first.
pub async fn my(
    State(state): State<CabinetsState>,
    Caller(caller): Caller,
    RawQuery(query): RawQuery,
) -> Result<Reply, Fail> {
    let pairs = query_pairs(query.as_deref());
    let states = match query_value(&pairs, "status") {
        None => Vec::new(),
        Some(s) => {
            states_of(s).ok_or_else(|| Fail::invalid("status", "pending, paid, in_use, completed or cancelled"))?
        }
    };
    let query = RentalQuery { user_id: Some(caller.id), states, ..Default::default() };
    let mut items = Vec::new();
    for rental in orders_matching(&state, &query).await? {
        items.push(order_of(&state, rental).await?.list_json());
    }
    Ok(Reply::success(Value::Array(items)))
}

/// Every order rental matching `query`, newest first.
pub async fn orders_matching(state: &CabinetsState, query: &RentalQuery) -> Result<Vec<Rental>, Fail> {
    let orders = RentalQuery { kind: Some(RentalKind::Order), ..query.clone() };
    super::all_pages(|page| state.store.query_rentals(&orders, page)).await
}

/// The live pickup code of a paid order, issuing it if payment happened but issuing did not.
async fn pickup_code(state: &CabinetsState, order: &Order) -> Result<Option<String>, Fail> {
    if order.rental.state != RentalState::Reserved {
        return Ok(None);
    }
    let (store, code, now) = (state.store.as_ref(), order.locker.code.as_str(), state.now());
    if let Some(live) = state.pickup.live_code(store, code, order.rental.id, now).await.map_err(Fail::core)? {
        return Ok(Some(live));
    }
    Ok(Some(issue_code(state, order).await?))
}

/// Issues the order's pickup code, valid until [`PICKUP_GRACE`] after its paid end.
pub async fn issue_code(state: &CabinetsState, order: &Order) -> Result<String, Fail> {
    let now = state.now();
    let expires = order.rental.paid_until.unwrap_or(now) + PICKUP_GRACE;
    let (code, _) = state
        .pickup
        .issue_derived(state.store.as_ref(), &order.locker.code, order.rental.id, now, expires)
        .await
        .map_err(Fail::core)?;
    Ok(code)
}

/// `GET /api/orders/<order_id>/`.
pub async fn detail(State(state): State<CabinetsState>, CallerOrder(_, order): CallerOrder) -> Result<Reply, Fail> {
    let owner = match order.rental.user_id {
        Some(id) => state.store.get_user(id).await.map_err(Fail::core)?.phone,
        None => None,
    };
    let code = pickup_code(&state, &order).await?;
    let mut v = order.booking_json();
    v["user_phone"] = json!(owner);
    v["pickup_code"] = json!(code);
    v["end_time"] = json!(order.rental.paid_until.map(naive_time));
    Ok(Reply::success(v))
}

/// The `payment_method` of a body (`default` when absent).
fn payment_method(body: &Map<String, Value>, default: Option<PaymentMethod>) -> Result<PaymentMethod, Fail> {
    match super::envelope::optional_str(body, "payment_method")? {
        Some(m) => m.parse().map_err(|_| Fail::invalid("payment_method", "wechat, alipay or balance")),
        None => default.ok_or_else(|| Fail::invalid("payment_method", "this field is required")),
    }
}

/// Takes `amount` for `order` by `method` outside the store (providers); the balance is
/// debited by the store in the change itself.
async fn collect(state: &CabinetsState, order: &Order, method: PaymentMethod, amount: Money) -> Result<(), Fail> {
    if method == PaymentMethod::Balance {
        return Ok(());
    }
    state.payments.charge(method, &order_no(&order.rental), amount).await.map_err(|e| {
        let message = match e {
            PaymentRefused::NotConfigured(_) => "支付方式暂不可用",
            PaymentRefused::Declined(_) => "支付失败",
        };
        Fail { data: json!({ "field": "payment_method", "detail": e.to_string() }), ..Fail::refused(message, "") }
    })
}

/// Applies `event` to the order as `caller`, charging `method` for the money the event adds.
async fn charge_event(
    state: &CabinetsState,
    order: &Order,
    caller: &User,
    event: RentalEvent,
    method: PaymentMethod,
    purpose: PaymentPurpose,
) -> Result<Rental, Fail> {
    let now = state.now();
    let (next, actions) = order.rental.apply(event, now).map_err(|e| Fail::core(e.into()))?;
    let amount = Money(next.amount.minor() - order.rental.amount.minor());
    let locker_status = actions.iter().find_map(|a| match a {
        RentalAction::SetLockerStatus(s) => Some(*s),
        _ => None,
    });
    let action = if purpose == PaymentPurpose::Pay { TxAction::Pay } else { TxAction::Extend };
    collect(state, order, method, amount).await?;
    let change = OrderChange {
        expected: order.rental.state,
        updated: next,
        locker_status,
        log: log_row(action, caller, json!({ "payment_method": method, "amount": amount.to_string() }), now),
        charge: Some(Charge { user_id: caller.id, method, purpose, amount }),
        command: None,
    };
    state.store.change_order(change).await.map_err(|e| match e {
        Error::Conflict(why) => Fail::refused("订单已支付或已取消", why),
        other => Fail::from_core(other, Entity::Order),
    })
}

/// `POST /api/orders/<order_id>/pay/`: `支付成功` with the pickup code.
pub async fn pay(
    State(state): State<CabinetsState>,
    CallerOrder(caller, order): CallerOrder,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let method = payment_method(&body, None)?;
    if order.rental.state != RentalState::PendingPayment {
        return Err(Fail::refused("订单已支付或已取消", format!("the order is {}", order.rental.state.order_status())));
    }
    let rental = charge_event(&state, &order, &caller, RentalEvent::Pay, method, PaymentPurpose::Pay).await?;
    let order = Order { rental, ..order };
    let code = issue_code(&state, &order).await?;
    let (status, display) = order.status();
    Ok(Reply::ok(
        "支付成功",
        json!({
            "id": order.number,
            "order_no": order_no(&order.rental),
            "status": status,
            "status_display": display,
            "pickup_code": code,
        }),
    ))
}

/// `POST /api/orders/<order_id>/extend/`: `续费成功`; paid and in-use orders only.
pub async fn extend(
    State(state): State<CabinetsState>,
    CallerOrder(caller, order): CallerOrder,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let added = hours(&body, "additional_hours")?;
    let method = payment_method(&body, Some(PaymentMethod::Balance))?;
    if !matches!(order.rental.state, RentalState::Reserved | RentalState::Active) {
        return Err(Fail::refused(
            "订单状态不允许此操作",
            format!("only paid or in-use orders can be extended; this one is {}", order.rental.state.order_status()),
        ));
    }
    let event = RentalEvent::Extend { half_hours: added.0 };
    let rental = charge_event(&state, &order, &caller, event, method, PaymentPurpose::Extend).await?;
    Ok(Reply::ok(
        "续费成功",
        json!({
            "id": order.number,
            "duration_hours": hours_text(rental.half_hours),
            "total_amount": total_amount(&rental).to_string(),
            "end_time": rental.paid_until.map(naive_time),
        }),
    ))
}

/// `POST /api/orders/<order_id>/cancel/`: `订单已取消`; pending orders only.
pub async fn cancel(
    State(state): State<CabinetsState>,
    CallerOrder(caller, order): CallerOrder,
) -> Result<Reply, Fail> {
    let refused = |why: String| Fail::refused("只有待支付的订单可以取消", why);
    if order.rental.state != RentalState::PendingPayment {
        return Err(refused(format!("the order is {}", order.rental.state.order_status())));
    }
    let now = state.now();
    let (next, _) = order.rental.apply(RentalEvent::Cancel, now).map_err(|e| refused(e.to_string()))?;
    let log = log_row(TxAction::Cancel, &caller, json!({}), now);
    let rental = state
        .store
        .transition_rental(order.rental.id, RentalState::PendingPayment, &next, Some(LockerStatus::Available), log)
        .await
        .map_err(|e| match e {
            Error::Conflict(why) => refused(why),
            other => Fail::core(other),
        })?;
    Ok(Reply::ok(
        "订单已取消",
        json!({
            "id": order.number,
            "status": rental.state.order_status(),
            "status_display": order_status_display(rental.state),
        }),
    ))
}
