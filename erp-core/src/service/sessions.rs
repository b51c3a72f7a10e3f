//! Refresh tokens for frontends that keep sessions (erp-server's JWT refresh flow).
//!
//! A refresh token is 32 random bytes shown once to the client; only its SHA-256 digest is
//! stored. Each use exchanges it for a new one of the same family. Using a token twice means it
//! was copied: the whole family is revoked and both holders must log in again.

use chrono::Duration;
use sha2::{Digest, Sha256};

use super::{Attempt, Erp, no_unique};
use crate::Actor;
use crate::auth::{hex, random_hex};
use crate::domain::{Timestamp, UserId};
use crate::error::{Error, Result};
use crate::store::RefreshTokenRecord;

/// How long a refresh token is accepted.
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(14);

/// A refresh token as handed to a client, with the actor it stands for.
#[derive(Clone, Debug)]
pub struct IssuedRefreshToken {
    /// The token, to give to the client. Never stored.
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
    /// Who it belongs to.
    pub actor: Actor,
}

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

impl Erp {
    /// Starts a session family for a user who just logged in.
    pub async fn issue_refresh_token(&self, actor: &Actor) -> Result<IssuedRefreshToken> {
        let user_id = actor
            .user_id()
            .ok_or_else(|| Error::validation("actor", "the system actor has no sessions"))?;
        let family = random_hex(16)?;
        let token = random_hex(32)?;
        let expires_at = self
            .run(
                || self.try_store_token(actor, user_id, &family, &token),
                no_unique,
            )
            .await?;
        Ok(IssuedRefreshToken {
            token,
            expires_at,
            actor: actor.clone(),
        })
    }

    async fn try_store_token(
        &self,
        actor: &Actor,
        user_id: UserId,
        family: &str,
        token: &str,
    ) -> Attempt<Timestamp> {
        let now = self.now();
        let mut tx = self.begin().await?;
        // A session is not started for a user deactivated since they logged in.
        self.authorize(&mut tx, actor, None).await?;
        let record = RefreshTokenRecord {
            token_hash: digest(token),
            family: family.to_string(),
            user_id,
            issued_at: now,
            expires_at: now + REFRESH_TOKEN_TTL,
            used_at: None,
            revoked_at: None,
        };
        tx.insert_refresh_token(&record).await?;
        tx.commit().await?;
        Ok(record.expires_at)
    }

    /// Exchanges a refresh token for a new one. Fails with [`Error::InvalidToken`] if the token
    /// is unknown, expired, revoked, or already used (which also revokes its family), and with
    /// [`Error::UserInactive`] if the user was deactivated.
    pub async fn rotate_refresh_token(&self, token: &str) -> Result<IssuedRefreshToken> {
        let next = random_hex(32)?;
        self.run(|| self.try_rotate(token, &next), no_unique).await
    }

    async fn try_rotate(&self, token: &str, next: &str) -> Attempt<IssuedRefreshToken> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(mut record) = tx.lock_refresh_token(&digest(token)).await? else {
            return Err(Error::InvalidToken.into());
        };
        if record.revoked_at.is_some() || record.expires_at <= now {
            return Err(Error::InvalidToken.into());
        }
        if record.used_at.is_some() {
            // A second use: someone holds a copy. Revoke the family, keep that revocation.
            tx.revoke_refresh_family(&record.family, now).await?;
            tx.commit().await?;
            return Err(Error::InvalidToken.into());
        }
        // Read without a row lock: user edits lock the user first and the tokens second, so
        // locking the user here, after the token, could deadlock against them.
        let user = self
            .store
            .user(record.user_id)
            .await?
            .ok_or(Error::InvalidToken)?;
        if !user.user.active {
            return Err(Error::UserInactive {
                username: user.user.username.to_string(),
            }
            .into());
        }
        record.used_at = Some(now);
        tx.update_refresh_token(&record).await?;
        let fresh = RefreshTokenRecord {
            token_hash: digest(next),
            family: record.family.clone(),
            user_id: record.user_id,
            issued_at: now,
            expires_at: now + REFRESH_TOKEN_TTL,
            used_at: None,
            revoked_at: None,
        };
        tx.insert_refresh_token(&fresh).await?;
        tx.commit().await?;
        Ok(IssuedRefreshToken {
            token: next.to_string(),
            expires_at: fresh.expires_at,
            actor: Actor::for_user(&user.user),
        })
    }

    /// Ends a session: revokes the token's whole family. Unknown tokens are ignored (logging out
    /// twice is not an error).
    pub async fn revoke_refresh_token(&self, token: &str) -> Result<()> {
        self.run(|| self.try_revoke(token), no_unique).await
    }

    async fn try_revoke(&self, token: &str) -> Attempt<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        if let Some(record) = tx.lock_refresh_token(&digest(token)).await? {
            tx.revoke_refresh_family(&record.family, now).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
