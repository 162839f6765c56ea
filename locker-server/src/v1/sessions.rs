//! `/sessions`: the signed-in user's history and active session. Check-in, update and
//! check-out run through the service (see `sessions_flow`).

use axum::extract::State;
use locker_core::domain::RentalState;
use locker_core::ports::{Page, RentalFilter, RentalQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{self, Paging, opt_ts, pagination};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::guard::AuthUser;

/// A seed session status.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Live.
    Active,
    /// Checked out.
    Completed,
    /// Cancelled or expired.
    Cancelled,
}

impl SessionStatus {
    /// The wire spelling of every value (the `status` query parameter's choices).
    pub const NAMES: &'static [&'static str] = &["active", "completed", "cancelled"];
}

impl SessionStatus {
    /// The rental states a seed status covers.
    pub fn states(self) -> Vec<RentalState> {
        match self {
            SessionStatus::Active => {
                vec![RentalState::PendingPayment, RentalState::Reserved, RentalState::Opening, RentalState::Active]
            }
            SessionStatus::Completed => vec![RentalState::Completed],
            SessionStatus::Cancelled => vec![RentalState::Cancelled, RentalState::Expired],
        }
    }
}

/// `GET /sessions/my-sessions` query.
#[derive(Debug, Deserialize)]
pub struct MySessions {
    #[serde(default)]
    status: Option<SessionStatus>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    limit: Option<u32>,
}

/// The signed-in user's sessions, newest first.
pub async fn my_sessions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(q): ApiQuery<MySessions>,
) -> Result<Success<Value>, ApiError> {
    let page = Paging { page: q.page, limit: q.limit }.page(20)?;
    let query = RentalQuery {
        user_id: Some(user.id),
        states: q.status.map(SessionStatus::states).unwrap_or_default(),
        ..RentalQuery::default()
    };
    let rs = state.store().query_rentals(&query, page).await?;
    let codes = views::locker_codes(state.store().as_ref(), rs.items.iter().map(|r| r.locker_id).collect()).await?;
    let rows: Vec<Value> =
        rs.items.iter().map(|r| views::session_row(r, codes.get(&r.locker_id).map(String::as_str))).collect();
    Ok(Success::data(json!({ "sessions": rows, "pagination": pagination(page, rs.total) })))
}

/// The signed-in user's live session, or `null`.
pub async fn active(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Success<Value>, ApiError> {
    let filter = RentalFilter { user_id: Some(user.id), live_only: true, ..RentalFilter::default() };
    let live = state.store().list_rentals(&filter, Page { page: 1, limit: 1 }).await?;
    let session = match live.items.first() {
        Some(r) => {
            let l = state.store().get_locker(r.locker_id).await?;
            json!({
                "id": r.id,
                "locker": views::locker_short(&l),
                "status": r.state.session_status(),
                "auth_method": r.auth_method,
                "check_in_at": opt_ts(r.started_at.or(Some(r.created_at))),
                "last_access_at": opt_ts(r.last_access_at),
            })
        }
        None => Value::Null,
    };
    Ok(Success::data(json!({ "session": session })))
}
