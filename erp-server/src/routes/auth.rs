//! Authentication: register, login, refresh, logout, me.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use erp_core::input::UserInput;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::dto::{TokenDto, UserDto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser, ClientIp};
use crate::state::AppState;

/// Username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

/// A refresh token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

async fn tokens(state: &AppState, actor: &erp_core::Actor) -> ApiResult<TokenDto> {
    let refresh = state.erp.issue_refresh_token(actor).await?;
    token_dto(state, refresh).await
}

async fn token_dto(state: &AppState, refresh: erp_core::IssuedRefreshToken) -> ApiResult<TokenDto> {
    let user_id = refresh
        .actor
        .user_id()
        .ok_or_else(|| ApiError::unauthenticated("the system has no sessions"))?;
    let access = state
        .jwt
        .issue(user_id.get(), refresh.actor.role().as_str())
        .map_err(|e| erp_core::Error::Internal {
            message: format!("signing a token: {e}"),
        })?;
    let user = state.erp.user(&refresh.actor, user_id).await?;
    Ok(TokenDto {
        access_token: access,
        token_type: "Bearer",
        expires_in: state.jwt.lifetime().as_secs(),
        refresh_token: refresh.token,
        refresh_expires_at: refresh.expires_at,
        user: user.into(),
    })
}

/// Creates a user with a role. Admins and managers only; a manager cannot create an admin.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = UserInput,
    security(("bearer" = [])),
    responses((status = 201, body = UserDto), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn register(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let user = state.erp.create_user(&actor, input.parse()?).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Exchanges a username and password for an access token and a refresh token. Failed logins
/// are throttled per (username, client address) and per client address, alike for users that
/// exist and names that do not (erp-core counts them in the database, shared by every instance).
/// Password checks run a few at a time; past a short queue the answer is 503 `busy`.
#[utoipa::path(post, path = "/api/v1/auth/jwt/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = TokenDto), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "the user was deactivated"),
        (status = 429, body = crate::error::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<TokenDto>> {
    let actor = state
        .erp
        .authenticate_from(&body.username, &body.password, &ip)
        .await?;
    Ok(Json(tokens(&state, &actor).await?))
}

/// Exchanges a refresh token for new tokens. Each refresh token works once: presenting a used
/// one again revokes every token of that login (someone copied it).
#[utoipa::path(post, path = "/api/v1/auth/jwt/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokenDto), (status = 401, body = crate::error::Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<TokenDto>> {
    let rotated = state.erp.rotate_refresh_token(&body.refresh_token).await?;
    Ok(Json(token_dto(&state, rotated).await?))
}

/// Ends a session: its refresh tokens stop working. Access tokens expire on their own.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshBody,
    responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<StatusCode> {
    state.erp.revoke_refresh_token(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The authenticated user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = crate::error::Problem)))]
pub async fn me(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> ApiResult<Json<UserDto>> {
    let id = actor
        .user_id()
        .ok_or_else(|| ApiError::unauthenticated("no user"))?;
    Ok(Json(state.erp.user(&actor, id).await?.into()))
}
