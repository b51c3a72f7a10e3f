//! Short-lived access tokens: HS256 JWTs carrying the user id. The user is loaded from the
//! database on every request anyway (a deactivated user is refused at once), so the token only
//! proves who the caller is, for a few minutes.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::ServeArgs;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: i64,
    /// The role when issued (informational; the current role is read from the database).
    pub role: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Signing and checking keys.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").finish_non_exhaustive()
    }
}

/// The shortest secret accepted: HS256 is as strong as its key.
const MIN_SECRET_BYTES: usize = 32;

impl JwtKeys {
    /// Keys from a secret.
    pub fn from_secret(secret: &[u8], lifetime: Duration) -> anyhow::Result<JwtKeys> {
        if secret.len() < MIN_SECRET_BYTES {
            bail!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes");
        }
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime,
        })
    }

    /// The configured secret (flag, environment or file), or in `--dev` mode a generated one.
    /// Refuses to start without a secret otherwise.
    pub fn from_config(args: &ServeArgs) -> anyhow::Result<JwtKeys> {
        let lifetime = Duration::from_secs(args.access_token_seconds.clamp(30, 86_400));
        if let Some(secret) = &args.jwt_secret {
            return JwtKeys::from_secret(secret.expose_secret().trim().as_bytes(), lifetime);
        }
        if let Some(path) = &args.jwt_secret_file {
            let secret = std::fs::read(path)
                .with_context(|| format!("reading the JWT secret from {}", path.display()))?;
            let trimmed = String::from_utf8_lossy(&secret).trim().to_string();
            return JwtKeys::from_secret(trimmed.as_bytes(), lifetime);
        }
        if args.dev {
            let mut secret = [0u8; 32];
            getrandom::getrandom(&mut secret).context("no secure randomness")?;
            tracing::warn!(
                "--dev: generated a throwaway JWT secret; tokens die with this process and \
                 other instances will not accept them"
            );
            return JwtKeys::from_secret(&secret, lifetime);
        }
        bail!(
            "no JWT secret: set ERP_JWT_SECRET or ERP_JWT_SECRET_FILE (or pass --dev to \
             generate a throwaway one)"
        )
    }

    /// How long tokens live.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Signs a token for `user`.
    pub fn issue(&self, user: i64, role: &str) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            role: role.to_string(),
            iat: now,
            exp: now + i64::try_from(self.lifetime.as_secs()).unwrap_or(900),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks signature, algorithm and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::from_secret(&[7u8; 32], Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_user() {
        let token = keys().issue(42, "operator").unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!((claims.sub, claims.role.as_str()), (42, "operator"));
    }

    #[test]
    fn tampered_foreign_and_garbage_tokens_are_refused() {
        let token = keys().issue(42, "operator").unwrap();
        let other = JwtKeys::from_secret(&[8u8; 32], Duration::from_secs(60)).unwrap();
        assert!(other.verify(&token).is_none());
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(keys().verify(&tampered).is_none());
        assert!(keys().verify("not.a.token").is_none());
        assert!(keys().verify("").is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let claims = Claims {
            sub: 1,
            role: "admin".into(),
            iat: 0,
            exp: Utc::now().timestamp() - 60,
        };
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(keys().verify(&token).is_none());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKeys::from_secret(b"short", Duration::from_secs(60)).is_err());
    }
}
