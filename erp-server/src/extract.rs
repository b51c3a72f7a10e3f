//! Extractors: each turns a part of the request into a typed value or a problem response, so a
//! handler's signature says what it needs (a user, a JSON body, an id) and never sees bad input.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use erp_core::Actor;
use erp_core::domain::UserId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::forwarded::client_ip;
use crate::state::AppState;

/// The authenticated caller: a valid bearer token of a user who is still active.
pub struct AuthUser(pub Actor);

/// The bearer token of the `Authorization` header, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let user = token_user(parts, &state)?;
        match state.erp.actor(user).await {
            Ok(actor) => Ok(AuthUser(actor)),
            // The user behind a valid token no longer exists: the token is worthless.
            Err(erp_core::Error::NotFound { .. }) => Err(erp_core::Error::InvalidToken.into()),
            Err(other) => Err(other.into()),
        }
    }
}

/// The user a valid bearer token names (signature and expiry checked; the user not yet read).
fn token_user(parts: &Parts, state: &AppState) -> Result<UserId, ApiError> {
    let token = bearer(&parts.headers)
        .ok_or_else(|| ApiError::unauthenticated("send `Authorization: Bearer <access token>`"))?;
    let claims = state
        .jwt
        .verify(token)
        .ok_or_else(|| ApiError::from(erp_core::Error::InvalidToken))?;
    Ok(UserId(claims.sub))
}

/// The caller of a command: a valid bearer token, with the user read by the command itself in
/// its own transaction ([`Actor::claimed`]), which answers as [`AuthUser`] would (401 for a user
/// who no longer exists, 403 for one deactivated or without the permission) and saves the
/// request a database round trip of its own. Only for handlers that call one erp-core command
/// with the actor; reads take [`AuthUser`].
pub struct CommandUser(pub Actor);

impl<S> FromRequestParts<S> for CommandUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(CommandUser(Actor::claimed(token_user(parts, &state)?)))
    }
}

/// A JSON body: `Content-Type: application/json`, within the size limit, syntactically JSON
/// (else 400 `malformed_json`) and of the right shape (else 422 `validation_failed` naming the
/// field).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = AppState::from_ref(state).config.max_body_bytes;
        let announced = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        // Refused from the headers alone: no need to receive megabytes to say no.
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(too_large(limit));
        }
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection: BytesRejection| {
                    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "payload_too_large",
                            "the request body is too large",
                        )
                    } else {
                        ApiError::malformed_json(rejection.body_text())
                    }
                })?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
    .with("limit", limit)
}

/// Parses a JSON body, telling a syntax error (400) from a wrong shape (422 with the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ApiError::malformed_json(format!("the body is not valid JSON: {inner}"))
            }
            _ => {
                let field = if path == "." || path.is_empty() {
                    "body".to_string()
                } else {
                    path
                };
                erp_core::Error::validation(field, inner.to_string()).into()
            }
        }
    })?;
    deserializer.end().map_err(|e| {
        ApiError::malformed_json(format!("trailing characters after the JSON: {e}"))
    })?;
    Ok(value)
}

/// A numeric id in the path; anything else is 400 `invalid_parameter`.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|rejection: PathRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    format!(
                        "the id in the path must be a number: {}",
                        rejection.body_text()
                    ),
                )
                .with("field", "id")
            })?;
        if id <= 0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "ids are positive",
            )
            .with("field", "id"));
        }
        Ok(PathId(id))
    }
}

/// Query parameters; a malformed one is 400 `invalid_parameter`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    rejection.body_text(),
                )
            })
    }
}

/// The client's address as an extractor.
pub struct ClientIp(pub String);

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        Ok(ClientIp(client_ip(
            &parts.headers,
            peer,
            state.config.trusted_proxies.as_ref(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erp_core::input::OrderInput;

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        let syntax = parse_json::<OrderInput>(b"{\"customer_id\": ").unwrap_err();
        assert_eq!(syntax.status(), StatusCode::BAD_REQUEST);
        let shape = parse_json::<OrderInput>(br#"{"customer_id": "7", "lines": []}"#).unwrap_err();
        assert_eq!(shape.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let trailing = parse_json::<OrderInput>(br#"{"customer_id": 7, "lines": []} x"#);
        assert!(trailing.is_err());
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "bearer abc".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }
}
