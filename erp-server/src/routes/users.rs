//! Users (for admins and managers; anyone for their own password).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use erp_core::domain::{FieldResult, Password, Role, UserChange, UserId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{PageParams, page_request};
use crate::dto::{PageDto, UserDto};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use crate::state::AppState;

/// Changes to a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// viewer, operator, manager or admin.
    #[schema(pattern = r#"^(viewer|operator|manager|admin)$"#)]
    pub role: Option<String>,
    /// Deactivate (`false`) or reactivate (`true`).
    pub active: Option<bool>,
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// Required when changing one's own password.
    pub current_password: Option<String>,
    /// 8 to 128 characters, no control characters.
    #[schema(
        min_length = 8,
        max_length = 128,
        pattern = r#"^[^\u0000-\u001F\u007F-\u009F]*$"#
    )]
    pub new_password: String,
}

/// Lists users by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = PageDto<UserDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<PageDto<UserDto>>> {
    let page = page_request(params.offset, params.limit)?;
    let users = state.erp.users(&actor, page).await?;
    Ok(Json(PageDto::from_page(users, Into::into)))
}

/// One user (oneself, or anyone for those who manage users).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, minimum = 1)),
    security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(state.erp.user(&actor, UserId(id)).await?.into()))
}

/// Changes a user's role or deactivates / reactivates them.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, minimum = 1)),
    request_body = UserPatch, security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<UserDto>> {
    let role = patch
        .role
        .as_deref()
        .map(Role::parse)
        .transpose()
        .field("role")?;
    let change = UserChange {
        role,
        active: patch.active,
    };
    Ok(Json(
        state
            .erp
            .update_user(&actor, UserId(id), change)
            .await?
            .into(),
    ))
}

/// Sets a password: one's own (with the current one), or anyone's for those who manage users.
/// Every session of that user ends.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "users",
    params(("id" = i64, Path, minimum = 1)), request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let new = Password::new(&body.new_password).field("new_password")?;
    state
        .erp
        .change_password(&actor, UserId(id), body.current_password.as_deref(), new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
