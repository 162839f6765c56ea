//! `GET /transaction-logs` (admin): the log with filters, `user_name` and `locker_code`.

use std::collections::HashMap;

use axum::extract::State;
use locker_core::domain::{AuthMethod, Id, TxAction};
use locker_core::ports::TxLogQuery;
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{self, Paging, pagination, period, ts};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;

/// `GET /transaction-logs` query.
#[derive(Debug, Deserialize)]
pub struct ListLogs {
    #[serde(default)]
    locker_id: Option<Id>,
    #[serde(default)]
    user_id: Option<Id>,
    #[serde(default)]
    action_type: Option<TxAction>,
    #[serde(default)]
    auth_method: Option<AuthMethod>,
    #[serde(default)]
    from_date: Option<String>,
    #[serde(default)]
    to_date: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    limit: Option<u32>,
}

/// Lists log rows, newest first.
pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListLogs>) -> Result<Success<Value>, ApiError> {
    let page = Paging { page: q.page, limit: q.limit }.page(50)?;
    let (from, to) = period(q.from_date.as_deref(), q.to_date.as_deref())?;
    let query = TxLogQuery {
        locker_id: q.locker_id,
        actor_id: q.user_id,
        action: q.action_type,
        auth_method: q.auth_method,
        from,
        to,
    };
    let logs = state.store().query_log(&query, page).await?;
    let codes =
        views::locker_codes(state.store().as_ref(), logs.items.iter().filter_map(|e| e.locker_id).collect()).await?;
    let mut names: HashMap<Id, String> = HashMap::new();
    let actors: Vec<Id> = logs.items.iter().filter_map(|e| e.actor_id).collect();
    for id in actors {
        if names.contains_key(&id) {
            continue;
        }
        match state.store().get_user(id).await {
            Ok(u) => {
                names.insert(id, u.full_name);
            }
            Err(locker_core::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let rows: Vec<Value> = logs
        .items
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "session_id": e.rental_id,
                "locker_id": e.locker_id,
                "locker_code": e.locker_id.and_then(|l| codes.get(&l)),
                "user_id": e.actor_id,
                "user_name": e.actor_id.and_then(|u| names.get(&u)),
                "action_type": e.action,
                "auth_method": e.auth_method,
                "details": e.details,
                "device_info": e.device,
                "created_at": ts(e.created_at),
            })
        })
        .collect();
    Ok(Success::data(json!({ "logs": rows, "pagination": pagination(page, logs.total) })))
}
