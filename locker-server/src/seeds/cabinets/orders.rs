//! Orders: create, my orders, detail, pay, extend, cancel.
//!
//! The flows are the locker service's ([`locker_core::service::LockerService::create_order`]
//! and the methods beside it); these handlers parse, call one of them and shape the answer
//! in the seed's envelope, wording each refusal the seed's way. An order is a rental of kind
//! `order` on a named cabinet, held `reserved` from creation. Paying (`pending` -> `paid`)
//! takes the balance or goes through the surface's
//! [`PaymentProvider`](locker_core::ports::PaymentProvider) for `wechat`/`alipay`, then
//! issues the 6-digit pickup code. Extending a paid or in-use order charges the added time
//! the same way (`payment_method` optional, default `balance`). Only pending orders can be
//! cancelled. An order left unpaid for [`locker_core::orders::PAYMENT_WINDOW`] expires
//! (shown `cancelled`) and frees its cabinet. Another user's order is `404 订单不存在`;
//! admins see every order.

use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use locker_core::Error;
use locker_core::domain::{Rental, RentalKind, RentalState, User};
use locker_core::orders::PaymentMethod;
use locker_core::ports::{PaymentRefused, RentalQuery};
use serde_json::{Map, Value, json};

use super::CabinetsState;
use super::auth::Caller;
use super::envelope::{Body, Entity, Fail, PathText, Reply, hours, query_pairs, query_value, required_str};
use super::views::{hours_text, naive_time, order_no, order_status_display, states_of, total_amount};

pub use locker_core::orders::PICKUP_GRACE;

/// An order as seed 001 shows it: the service's [`locker_core::service::Order`] (number,
/// rental, cabinet) with the seed's views.
#[derive(Debug, Clone, PartialEq)]
pub struct Order(pub locker_core::service::Order);

impl std::ops::Deref for Order {
    type Target = locker_core::service::Order;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
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
    let order = state.service.order_for(number, caller).await.map_err(|e| match e {
        Error::NotFound { .. } => not_found(),
        other => Fail::core(other),
    })?;
    Ok(Order(order))
}

/// An order from a rental the caller already holds (expired first if left unpaid).
pub async fn order_of(state: &CabinetsState, rental: Rental) -> Result<Order, Fail> {
    Ok(Order(state.service.order_of(rental).await.map_err(Fail::core)?))
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

/// `POST /api/orders/create/`: `201 订单创建成功`.
pub async fn create(
    State(state): State<CabinetsState>,
    Caller(caller): Caller,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let code = required_str(&body, "cabinet_id")?.trim();
    let duration = hours(&body, "duration_hours")?;
    let order =
        state.service.create_order(caller.id, code, duration).await.map_err(|e| Fail::from_core(e, Entity::Cabinet))?;
    Ok(Reply::created("订单创建成功", Order(order).booking_json()))
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

/// `GET /api/orders/<order_id>/`.
pub async fn detail(State(state): State<CabinetsState>, CallerOrder(_, order): CallerOrder) -> Result<Reply, Fail> {
    let owner = match order.rental.user_id {
        Some(id) => state.store.get_user(id).await.map_err(Fail::core)?.phone,
        None => None,
    };
    let code = state.service.pickup_code(&state.desk(), &order).await.map_err(Fail::core)?;
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

/// A refusal of the payment provider, in the seed's words, naming `payment_method`.
fn payment_refused(refused: PaymentRefused) -> Fail {
    let message = match refused {
        PaymentRefused::NotConfigured(_) => "支付方式暂不可用",
        PaymentRefused::Declined(_) => "支付失败",
    };
    Fail { data: json!({ "field": "payment_method", "detail": refused.to_string() }), ..Fail::refused(message, "") }
}

/// `POST /api/orders/<order_id>/pay/`: `支付成功` with the pickup code.
pub async fn pay(
    State(state): State<CabinetsState>,
    CallerOrder(caller, order): CallerOrder,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let method = payment_method(&body, None)?;
    let paid = state.service.pay_order(&state.desk(), &order, caller.id, method).await.map_err(|e| match e {
        Error::Conflict(why) => Fail::refused("订单已支付或已取消", why),
        Error::Payment(refused) => payment_refused(refused),
        other => Fail::from_core(other, Entity::Order),
    })?;
    let order = Order(paid.order);
    let (status, display) = order.status();
    let mut data = json!({
        "id": order.number,
        "order_no": order_no(&order.rental),
        "status": status,
        "status_display": display,
        "pickup_code": paid.pickup_code,
    });
    label_simulated(&state, method, &mut data);
    Ok(Reply::ok("支付成功", data))
}

/// Marks an answer whose money went through a simulated provider (the demo's), so no one
/// takes it for a real payment: `simulated_payment: true` and a note saying no money moved.
fn label_simulated(state: &CabinetsState, method: PaymentMethod, data: &mut Value) {
    if method != PaymentMethod::Balance && state.payments.is_simulated() {
        data["simulated_payment"] = json!(true);
        data["payment_note"] = json!(super::payment::SIMULATED_NOTE);
    }
}

/// `POST /api/orders/<order_id>/extend/`: `续费成功`; paid and in-use orders only.
pub async fn extend(
    State(state): State<CabinetsState>,
    CallerOrder(caller, order): CallerOrder,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let added = hours(&body, "additional_hours")?;
    let method = payment_method(&body, Some(PaymentMethod::Balance))?;
    let service = &state.service;
    let extended =
        service.extend_order(&state.desk(), &order, caller.id, added, method).await.map_err(|e| match e {
            Error::Transition(t) => {
                let status = t.state.parse::<RentalState>().map_or(t.state.clone(), |s| s.order_status().into());
                let why = format!("only paid or in-use orders can be extended; this one is {status}");
                Fail::refused("订单状态不允许此操作", why)
            }
            Error::Conflict(why) => Fail::refused("订单状态不允许此操作", why),
            Error::Payment(refused) => payment_refused(refused),
            other => Fail::from_core(other, Entity::Order),
        })?;
    let rental = &extended.rental;
    let mut data = json!({
        "id": extended.number,
        "duration_hours": hours_text(rental.half_hours),
        "total_amount": total_amount(rental).to_string(),
        "end_time": rental.paid_until.map(naive_time),
    });
    label_simulated(&state, method, &mut data);
    Ok(Reply::ok("续费成功", data))
}

/// `POST /api/orders/<order_id>/cancel/`: `订单已取消`; pending orders only.
pub async fn cancel(
    State(state): State<CabinetsState>,
    CallerOrder(caller, order): CallerOrder,
) -> Result<Reply, Fail> {
    let cancelled = state.service.cancel_order(&order, caller.id).await.map_err(|e| match e {
        Error::Conflict(why) => Fail::refused("只有待支付的订单可以取消", why),
        other => Fail::core(other),
    })?;
    Ok(Reply::ok(
        "订单已取消",
        json!({
            "id": cancelled.number,
            "status": cancelled.rental.state.order_status(),
            "status_display": order_status_display(cancelled.rental.state),
        }),
    ))
}
