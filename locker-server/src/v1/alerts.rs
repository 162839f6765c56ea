//! `/security-alerts` (admin): list with a summary, and resolve.

use axum::extract::State;
use locker_core::domain::{AlertKind, Id, Severity};
use locker_core::ports::{AlertFilter, Page};
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{self, Paging, pagination, ts};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::guard::AdminUser;

/// `GET /security-alerts` query.
#[derive(Debug, Deserialize)]
pub struct ListAlerts {
    #[serde(default)]
    locker_id: Option<Id>,
    #[serde(default)]
    alert_type: Option<AlertKind>,
    #[serde(default)]
    severity: Option<Severity>,
    #[serde(default)]
    is_resolved: Option<bool>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    limit: Option<u32>,
}

async fn count(state: &AppState, filter: AlertFilter) -> Result<u64, ApiError> {
    Ok(state.store().list_alerts(&filter, Page { page: 1, limit: 1 }).await?.total)
}

/// Lists alerts, newest first, with the system-wide summary.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListAlerts>,
) -> Result<Success<Value>, ApiError> {
    let page = Paging { page: q.page, limit: q.limit }.page(20)?;
    let filter =
        AlertFilter { kind: q.alert_type, severity: q.severity, resolved: q.is_resolved, locker_id: q.locker_id };
    let alerts = state.store().list_alerts(&filter, page).await?;
    let codes =
        views::locker_codes(state.store().as_ref(), alerts.items.iter().filter_map(|a| a.locker_id).collect()).await?;
    let summary = json!({
        "total": count(&state, AlertFilter::default()).await?,
        "unresolved": count(&state, AlertFilter { resolved: Some(false), ..AlertFilter::default() }).await?,
        "critical_unresolved": count(
            &state,
            AlertFilter { resolved: Some(false), severity: Some(Severity::Critical), ..AlertFilter::default() },
        )
        .await?,
    });
    Ok(Success::data(json!({
        "alerts": alerts
            .items
            .iter()
            .map(|a| views::alert(a, a.locker_id.and_then(|l| codes.get(&l)).map(String::as_str)))
            .collect::<Vec<_>>(),
        "summary": summary,
        "pagination": pagination(page, alerts.total),
    })))
}

/// `PATCH /security-alerts/{id}/resolve` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    resolution_note: String,
}

/// Resolves an alert with a note (admin); `409 CONFLICT` if it already is.
pub async fn resolve(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Id>,
    ApiJson(body): ApiJson<Resolve>,
) -> Result<Success<Value>, ApiError> {
    let note = body.resolution_note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(ApiError::validation("resolution_note", "1 to 2000 characters"));
    }
    let a = state.store().resolve_alert(id, note, Some(admin.id), state.now()).await?;
    Ok(Success::data(json!({
        "id": a.id,
        "is_resolved": true,
        "resolved_by": a.resolved_by,
        "resolved_at": a.resolved_at.map(ts),
        "resolution_note": a.resolution_note,
    }))
    .with_message("Cảnh báo đã được đánh dấu xử lý"))
}
