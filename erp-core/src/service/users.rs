//! Users: the first admin, staff accounts, logins and passwords.

use chrono::Duration;

use super::{Attempt, Erp, no_unique, store_error};
use crate::Actor;
use crate::auth::{hash_password, login_delay_secs, verify_against_dummy, verify_password};
use crate::domain::{
    NewUser, Page, PageRequest, Password, Permission, Role, User, UserChange, UserId, UserRecord,
    Username,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{UniqueKey, UserDraft};

/// The milestone recorded when the first admin is created.
const FIRST_ADMIN: &str = "first_admin";

fn username_taken(username: &Username) -> impl Fn(UniqueKey) -> Error + '_ {
    move |key| match key {
        UniqueKey::Username => Error::Duplicate {
            field: "username",
            value: username.to_string(),
        },
        other => no_unique(other),
    }
}

impl Erp {
    /// Whether any user exists; a frontend shows its first-run setup when none does.
    pub async fn has_users(&self) -> Result<bool> {
        Ok(self.store.count_users().await.map_err(store_error)? > 0)
    }

    /// Creates the first admin of an empty database. Works once: afterwards (or if any user
    /// exists) it fails with [`Error::AlreadyDone`], so there is never a default account.
    pub async fn bootstrap_admin(&self, username: Username, password: Password) -> Result<User> {
        if self.has_users().await? {
            return Err(Error::AlreadyDone {
                what: "creating the first admin",
            });
        }
        let hash = self.hash_work(move || hash_password(&password)).await??;
        let system = Actor::system();
        self.run(
            || self.try_insert_user(&system, &username, &hash, Role::Admin, true),
            |key| match key {
                UniqueKey::Milestone => Error::AlreadyDone {
                    what: "creating the first admin",
                },
                other => username_taken(&username)(other),
            },
        )
        .await
    }

    /// Creates a user. Needs [`Permission::ManageUsers`]; a manager cannot create an admin.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User> {
        actor.require(Permission::ManageUsers)?;
        if !actor.role().may_manage(new.role) {
            return Err(Error::RoleNotGrantable {
                role: actor.role(),
                target: new.role,
            });
        }
        let password = new.password;
        let hash = self.hash_work(move || hash_password(&password)).await??;
        self.run(
            || self.try_insert_user(actor, &new.username, &hash, new.role, false),
            username_taken(&new.username),
        )
        .await
    }

    async fn try_insert_user(
        &self,
        actor: &Actor,
        username: &Username,
        password_hash: &str,
        role: Role,
        first_admin: bool,
    ) -> Attempt<User> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageUsers))
            .await?;
        if !actor.role().may_manage(role) {
            return Err(Error::RoleNotGrantable {
                role: actor.role(),
                target: role,
            }
            .into());
        }
        if first_admin {
            // The unique milestone makes two first-run setups racing create one admin.
            tx.insert_milestone(FIRST_ADMIN, now).await?;
        }
        let draft = UserDraft {
            username: username.clone(),
            password_hash: password_hash.to_string(),
            role,
            created_at: now,
        };
        let id = tx.insert_user(&draft).await?;
        let event = DomainEvent::UserCreated {
            user_id: id,
            username: username.to_string(),
            role,
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(User {
            id,
            username: draft.username,
            role,
            active: true,
            created_at: now,
            updated_at: now,
        })
    }

    /// Checks a username and password and returns the actor to act as.
    ///
    /// A wrong password or unknown user fails the same way ([`Error::InvalidCredentials`]) and
    /// takes the same time. After three consecutive failures a user must wait before the next
    /// try (1 s, doubling, at most 5 minutes): [`Error::LoginThrottled`].
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<Actor> {
        let password = password.to_string();
        let Ok(username) = Username::parse(username) else {
            self.hash_work(move || verify_against_dummy(&password))
                .await?;
            return Err(Error::InvalidCredentials);
        };
        let record = self
            .store
            .user_by_username(&username)
            .await
            .map_err(store_error)?;
        let Some(record) = record else {
            self.hash_work(move || verify_against_dummy(&password))
                .await?;
            return Err(Error::InvalidCredentials);
        };
        let now = self.now();
        if let Some(until) = record.locked_until.filter(|until| *until > now) {
            let wait = (until - now).num_seconds().max(1);
            return Err(Error::LoginThrottled {
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
            });
        }
        let hash = record.password_hash.clone();
        let matches = self
            .hash_work(move || verify_password(&password, &hash))
            .await?;
        if !matches {
            self.run(|| self.note_login(record.user.id, false), no_unique)
                .await?;
            return Err(Error::InvalidCredentials);
        }
        if !record.user.active {
            return Err(Error::UserInactive {
                username: record.user.username.to_string(),
            });
        }
        if record.failed_logins > 0 || record.locked_until.is_some() {
            self.run(|| self.note_login(record.user.id, true), no_unique)
                .await?;
        }
        Ok(Actor::for_user(&record.user))
    }

    /// Counts a failed login (and sets the wait) or clears the count after a success.
    async fn note_login(&self, id: UserId, success: bool) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let Some(mut record) = tx.lock_user(id).await? else {
            return Ok(());
        };
        let now = self.now();
        if success {
            record.failed_logins = 0;
            record.locked_until = None;
        } else {
            record.failed_logins = record.failed_logins.saturating_add(1);
            let delay = login_delay_secs(record.failed_logins);
            record.locked_until =
                (delay > 0).then(|| now + Duration::seconds(i64::try_from(delay).unwrap_or(300)));
        }
        tx.update_user(&record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor for an active user id (e.g. from a verified session token).
    pub async fn actor(&self, id: UserId) -> Result<Actor> {
        let record = self
            .store
            .user(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| Error::not_found("user", id))?;
        if !record.user.active {
            return Err(Error::UserInactive {
                username: record.user.username.to_string(),
            });
        }
        Ok(Actor::for_user(&record.user))
    }

    /// A user: oneself, or anyone for those who manage users.
    pub async fn user(&self, actor: &Actor, id: UserId) -> Result<User> {
        if actor.user_id() != Some(id) {
            actor.require(Permission::ManageUsers)?;
        }
        self.store
            .user(id)
            .await
            .map_err(store_error)?
            .map(|record| record.user)
            .ok_or_else(|| Error::not_found("user", id))
    }

    /// A page of users by username.
    pub async fn users(&self, actor: &Actor, page: PageRequest) -> Result<Page<User>> {
        actor.require(Permission::ManageUsers)?;
        self.store.users(page).await.map_err(store_error)
    }

    /// Changes a password. Users change their own by giving the current one; those who manage
    /// users may reset the password of anyone they may manage. Either way every refresh token of
    /// that user is revoked.
    pub async fn change_password(
        &self,
        actor: &Actor,
        id: UserId,
        current: Option<&str>,
        new: Password,
    ) -> Result<()> {
        let target = self.managed_user(actor, id, true).await?;
        if actor.user_id() == Some(id) {
            let given = current.unwrap_or_default().to_string();
            let hash = target.password_hash.clone();
            if !self
                .hash_work(move || verify_password(&given, &hash))
                .await?
            {
                return Err(Error::InvalidCredentials);
            }
        }
        let hash = self.hash_work(move || hash_password(&new)).await??;
        self.run(
            || {
                self.try_update_user(actor, id, |record| {
                    record.password_hash = hash.clone();
                    record.failed_logins = 0;
                    record.locked_until = None;
                    Ok(())
                })
            },
            no_unique,
        )
        .await
        .map(|_| ())
    }

    /// Gives a user another role. Nobody changes their own role, and a manager neither makes nor
    /// unmakes an admin.
    pub async fn set_user_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User> {
        let change = UserChange {
            role: Some(role),
            active: None,
        };
        self.update_user(actor, id, change).await
    }

    /// Deactivates or reactivates a user. Nobody deactivates themselves. Deactivation revokes the
    /// user's refresh tokens; their past actions keep their name.
    pub async fn set_user_active(&self, actor: &Actor, id: UserId, active: bool) -> Result<User> {
        let change = UserChange {
            role: None,
            active: Some(active),
        };
        self.update_user(actor, id, change).await
    }

    /// Changes a user's role and/or whether they may log in, in one transaction: either every
    /// part applies or none does, and one [`DomainEvent::UserUpdated`] is recorded. The rules of
    /// [`Erp::set_user_role`] and [`Erp::set_user_active`] hold; an empty change is refused.
    pub async fn update_user(&self, actor: &Actor, id: UserId, change: UserChange) -> Result<User> {
        if change.is_empty() {
            return Err(Error::validation("body", "nothing to change"));
        }
        self.managed_user(actor, id, false).await?;
        if let Some(role) = change.role
            && !actor.role().may_manage(role)
        {
            return Err(Error::RoleNotGrantable {
                role: actor.role(),
                target: role,
            });
        }
        self.run(
            || {
                self.try_update_user(actor, id, |record| {
                    if let Some(role) = change.role {
                        record.user.role = role;
                    }
                    if let Some(active) = change.active {
                        record.user.active = active;
                    }
                    Ok(())
                })
            },
            no_unique,
        )
        .await
    }

    /// Loads a user `actor` may manage. `self_allowed`: acting on oneself needs no permission
    /// (own password); otherwise it is refused.
    async fn managed_user(
        &self,
        actor: &Actor,
        id: UserId,
        self_allowed: bool,
    ) -> Result<UserRecord> {
        let record = self
            .store
            .user(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| Error::not_found("user", id))?;
        let is_self = actor.user_id() == Some(id);
        if is_self && self_allowed {
            return Ok(record);
        }
        actor.require(Permission::ManageUsers)?;
        if is_self {
            return Err(Error::validation(
                "user",
                "you cannot change your own role or deactivate yourself",
            ));
        }
        if !actor.role().may_manage(record.user.role) {
            return Err(Error::RoleNotGrantable {
                role: actor.role(),
                target: record.user.role,
            });
        }
        Ok(record)
    }

    async fn try_update_user(
        &self,
        actor: &Actor,
        id: UserId,
        change: impl Fn(&mut UserRecord) -> Result<()>,
    ) -> Attempt<User> {
        let mut tx = self.begin().await?;
        // Managing others needs the permission now; one's own password needs none.
        let needed = (actor.user_id() != Some(id)).then_some(Permission::ManageUsers);
        let actor = &self.authorize(&mut tx, actor, needed).await?;
        let mut record = tx
            .lock_user(id)
            .await?
            .ok_or_else(|| Error::not_found("user", id))?;
        // Checked again under the row lock: the role may have changed since it was first read.
        if actor.user_id() != Some(id) && !actor.role().may_manage(record.user.role) {
            return Err(Error::RoleNotGrantable {
                role: actor.role(),
                target: record.user.role,
            }
            .into());
        }
        let was_active = record.user.active;
        let old_hash = record.password_hash.clone();
        change(&mut record)?;
        // The role granted is checked with the actor's current role too, not the one they had
        // when the command was asked for.
        if actor.user_id() != Some(id) && !actor.role().may_manage(record.user.role) {
            return Err(Error::RoleNotGrantable {
                role: actor.role(),
                target: record.user.role,
            }
            .into());
        }
        let now = self.now();
        record.user.updated_at = now;
        tx.update_user(&record).await?;
        if (was_active && !record.user.active) || old_hash != record.password_hash {
            tx.revoke_refresh_tokens_of_user(id, now).await?;
        }
        self.record(
            &mut tx,
            actor,
            DomainEvent::UserUpdated { user_id: id },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record.user)
    }
}
