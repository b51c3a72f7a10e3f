//! Users: the first admin, staff accounts, logins and passwords.

use super::{Attempt, Erp, no_unique, store_error};
use crate::Actor;
use crate::auth::{hash_password, verify_against_dummy, verify_password};
use crate::domain::{
    LOCAL_ADDRESS, LoginKey, NewUser, Page, PageRequest, Password, Permission, Role, User,
    UserChange, UserId, UserRecord, Username,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{UniqueKey, UserDraft};

/// The failed-login counters one login attempt updates.
struct LoginKeys {
    /// The typed username from the client's address.
    user: LoginKey,
    /// The client's address as a whole (none for logins on this machine).
    address: Option<LoginKey>,
}

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

    /// Checks a username and password typed on this machine (the till) and returns the actor to
    /// act as. As [`Erp::authenticate_from`] with the address [`LOCAL_ADDRESS`], which has no
    /// limit of its own: only the username's count applies.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<Actor> {
        self.login(username, password, LOCAL_ADDRESS, false).await
    }

    /// Checks a username and password sent from client `address` and returns the actor to act
    /// as.
    ///
    /// A wrong password or unknown user fails the same way ([`Error::InvalidCredentials`]) and
    /// takes the same time. Failures are counted per (typed username, address) and per address,
    /// whether or not the user exists: after three in a row that username waits before its next
    /// try from that address (1 s, doubling, at most 5 minutes), and an address with
    /// [`crate::domain::LoginPolicy::failures_per_address`] failures waits until they are
    /// forgotten ([`crate::domain::FORGET_FAILURES_AFTER`] after its last one): [`Error::LoginThrottled`]. The right
    /// password from an address without failures is let in whatever other addresses did.
    pub async fn authenticate_from(
        &self,
        username: &str,
        password: &str,
        address: &str,
    ) -> Result<Actor> {
        self.login(username, password, address, true).await
    }

    async fn login(
        &self,
        username: &str,
        password: &str,
        address: &str,
        limit_address: bool,
    ) -> Result<Actor> {
        let keys = LoginKeys {
            user: LoginKey::for_user(username, address),
            address: limit_address.then(|| LoginKey::for_address(address)),
        };
        self.run(|| self.try_count_login_attempt(&keys), no_unique)
            .await?;
        let checked = self.check_password(username, password).await;
        match checked {
            Ok(Some(record)) => {
                self.run(|| self.try_take_back_login_attempt(&keys, true), no_unique)
                    .await?;
                if !record.user.active {
                    return Err(Error::UserInactive {
                        username: record.user.username.to_string(),
                    });
                }
                Ok(Actor::for_user(&record.user))
            }
            Ok(None) => Err(Error::InvalidCredentials),
            Err(error) => {
                // Never checked (the hasher was busy, say): not a failure.
                self.run(|| self.try_take_back_login_attempt(&keys, false), no_unique)
                    .await?;
                Err(error)
            }
        }
    }

    /// The user whose password `password` is, or `None`. An unknown or invalid name costs the
    /// same hashing work as a known one.
    async fn check_password(&self, username: &str, password: &str) -> Result<Option<UserRecord>> {
        let password = password.to_string();
        let record = match Username::parse(username) {
            Ok(username) => self
                .store
                .user_by_username(&username)
                .await
                .map_err(store_error)?,
            Err(_) => None,
        };
        let Some(record) = record else {
            self.hash_work(move || verify_against_dummy(&password))
                .await?;
            return Ok(None);
        };
        let hash = record.password_hash.clone();
        let matches = self
            .hash_work(move || verify_password(&password, &hash))
            .await?;
        Ok(matches.then_some(record))
    }

    /// Refuses the attempt if its username or address must wait; otherwise counts it as a
    /// failure until its password proves right. The counts are read under the lock their update
    /// takes, so parallel attempts are counted one after another.
    async fn try_count_login_attempt(&self, keys: &LoginKeys) -> Attempt<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        // The address first, then the username: one lock order for every login.
        let mut address = match &keys.address {
            Some(key) => Some(tx.lock_login_failures(key).await?),
            None => None,
        };
        let mut user = tx.lock_login_failures(&keys.user).await?;
        let limit = self.logins.failures_per_address;
        let wait = [
            user.user_wait(now),
            address.as_ref().and_then(|a| a.address_wait(now, limit)),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(Error::LoginThrottled {
                retry_after_secs: wait.max(1),
            }
            .into());
        }
        if let Some(address) = &mut address {
            address.add_failure(now);
            tx.set_login_failures(address).await?;
        }
        user.add_failure(now);
        tx.set_login_failures(&user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes back the failure counted for an attempt: its password was right (`succeeded`: the
    /// username's count starts again from nothing) or it was never checked.
    async fn try_take_back_login_attempt(&self, keys: &LoginKeys, succeeded: bool) -> Attempt<()> {
        let mut tx = self.begin().await?;
        if let Some(key) = &keys.address {
            let mut address = tx.lock_login_failures(key).await?;
            address.take_back_one();
            tx.set_login_failures(&address).await?;
        }
        let mut user = tx.lock_login_failures(&keys.user).await?;
        if succeeded {
            user.failures = 0;
        } else {
            user.take_back_one();
        }
        tx.set_login_failures(&user).await?;
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
