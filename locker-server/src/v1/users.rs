//! `/users`: the signed-in user's profile and face registration, and the admin list.

use axum::extract::State;
use locker_core::domain::Role;
use locker_core::ports::UserFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{check_name, check_phone};
use super::views::{self, Paging, pagination, ts};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::guard::AuthUser;
use crate::http::multipart::FaceImage;

/// The signed-in user.
pub async fn me(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Success<Value>, ApiError> {
    let u = state.store().get_user(user.id).await?;
    let mut body = views::user_full(&u);
    body["face_registered"] = json!(state.faces().get_user_template(u.id).await?.is_some());
    Ok(Success::data(body))
}

/// `PUT /users/me` body: the fields to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

/// Updates the signed-in user's name and phone.
pub async fn update_me(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<UpdateMe>,
) -> Result<Success<Value>, ApiError> {
    let mut u = state.store().get_user(user.id).await?;
    if let Some(name) = body.full_name.as_deref() {
        u.full_name = check_name(name)?;
    }
    if let Some(phone) = body.phone.as_deref() {
        u.phone = check_phone(Some(phone))?;
    }
    u.updated_at = state.now();
    let u = state.store().update_user(&u).await?;
    Ok(Success::data(json!({ "id": u.id, "email": u.email, "full_name": u.full_name, "phone": u.phone }))
        .with_message("Cập nhật thành công"))
}

/// `503 FACE_UNAVAILABLE`: the server runs without face models.
fn face_unavailable() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "FACE_UNAVAILABLE",
        "Face recognition is not configured on this server",
    )
}

/// Registers the signed-in user's face (replacing an earlier one).
pub async fn register_face(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    FaceImage(image): FaceImage,
) -> Result<Success<Value>, ApiError> {
    let faces = state.face_enrolment();
    if !faces.can_register() {
        return Err(face_unavailable());
    }
    let at = faces.register(user.id, image.to_vec()).await?;
    Ok(Success::data(json!({ "face_registered": true, "registered_at": ts(at) }))
        .with_message("Đăng ký khuôn mặt thành công"))
}

/// Deletes the signed-in user's face template.
pub async fn delete_face(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Success<Value>, ApiError> {
    let existed = state.face_enrolment().delete(user.id).await?;
    Ok(Success::data(json!({ "face_registered": false, "deleted": existed })).with_message("Đã xóa dữ liệu khuôn mặt"))
}

/// `GET /users` query.
#[derive(Debug, Deserialize)]
pub struct ListUsers {
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    is_active: Option<bool>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    limit: Option<u32>,
}

/// Lists users (admin).
pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListUsers>) -> Result<Success<Value>, ApiError> {
    let page = Paging { page: q.page, limit: q.limit }.page(20)?;
    let filter = UserFilter { role: q.role, active: q.is_active };
    let users = state.store().list_users(&filter, page).await?;
    Ok(Success::data(json!({
        "users": users.items.iter().map(views::user_row).collect::<Vec<_>>(),
        "pagination": pagination(page, users.total),
    })))
}
