//! Tills: registers, cash sessions, cash in and out, X and Z reports.
//!
//! Whatever takes cash out of a drawer or ends its session locks the session exclusively first and
//! only then sums its records, so no sale (which holds the session shared) is in flight and the
//! sums are complete: a withdrawal never exceeds the drawer, and a close counts everything.

use super::sales::own_open_session;
use super::{Attempt, Erp, no_unique, rerun_if_taken, store_error};
use crate::Actor;
use crate::domain::{
    CashMovement, CashMovementKind, CashSession, CashSessionId, IdempotencyKey, Money, MoneyDelta,
    MovedCash, NewCashMovement, NewCashSession, NewRegister, Page, PageRequest, Permission, Reason,
    Register, RegisterId, SessionClosing, SessionReport, Tender, UserId, reconcile,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{Transaction, UniqueKey};

impl Erp {
    /// Sets up a till. Managers and admins.
    pub async fn create_register(&self, actor: &Actor, new: NewRegister) -> Result<Register> {
        self.run(
            || self.try_create_register(actor, &new),
            |key| match key {
                UniqueKey::RegisterCode => Error::Duplicate {
                    field: "code",
                    value: new.code.to_string(),
                },
                other => no_unique(other),
            },
        )
        .await
    }

    async fn try_create_register(&self, actor: &Actor, new: &NewRegister) -> Attempt<Register> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageCatalog))
            .await?;
        let id = tx.insert_register(new, now).await?;
        let event = DomainEvent::RegisterCreated {
            register_id: id,
            code: new.code.to_string(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(Register {
            id,
            code: new.code.clone(),
            name: new.name.clone(),
            created_at: now,
        })
    }

    /// Every till, by code.
    pub async fn registers(&self, actor: &Actor) -> Result<Vec<Register>> {
        actor.require(Permission::Read)?;
        self.store.registers().await.map_err(store_error)
    }

    /// Opens a till's drawer with a counted float. One open session per register (the database
    /// refuses a second: [`Error::CashSessionAlreadyOpen`]).
    pub async fn open_cash_session(
        &self,
        actor: &Actor,
        register: RegisterId,
        opening_float: Money,
    ) -> Result<CashSession> {
        let opened = self
            .run(
                || self.try_open_session(actor, register, opening_float),
                |key| match key {
                    // Filled in below with the session that holds the register.
                    UniqueKey::OpenCashSession => Error::CashSessionAlreadyOpen {
                        register_id: register,
                        session_id: CashSessionId(0),
                    },
                    other => no_unique(other),
                },
            )
            .await;
        match opened {
            Err(Error::CashSessionAlreadyOpen { register_id, .. }) => {
                let open = self
                    .store
                    .cash_sessions(register_id, PageRequest::first(1))
                    .await
                    .map_err(store_error)?;
                Err(Error::CashSessionAlreadyOpen {
                    register_id,
                    session_id: open.items.first().map_or(CashSessionId(0), |s| s.id),
                })
            }
            other => other,
        }
    }

    async fn try_open_session(
        &self,
        actor: &Actor,
        register: RegisterId,
        opening_float: Money,
    ) -> Attempt<CashSession> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        if tx.register(register).await?.is_none() {
            return Err(Error::not_found("register", register).into());
        }
        let new = NewCashSession {
            register_id: register,
            opened_by: actor.user_id(),
            opened_at: now,
            opening_float,
        };
        let id = tx.insert_cash_session(&new).await?;
        let event = DomainEvent::SessionOpened {
            cash_session_id: id,
            register_id: register,
            opening_float,
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(CashSession {
            id,
            register_id: register,
            opened_by: new.opened_by,
            opened_at: now,
            opening_float,
            closing: None,
        })
    }

    /// Puts cash into (suprimento) or takes it out of (sangria) the register's open drawer, with
    /// a reason. Cash out never exceeds what the drawer should hold. The session must be the
    /// actor's (or the actor a manager).
    pub async fn move_cash(
        &self,
        actor: &Actor,
        register: RegisterId,
        kind: CashMovementKind,
        amount: Money,
        reason: Reason,
    ) -> Result<CashMovement> {
        let moved = self
            .moved_cash(actor, register, kind, amount, reason, None)
            .await?;
        Ok(moved.movement)
    }

    /// Like [`Erp::move_cash`], at most once per register and client key: the same movement
    /// again under the key (a retry after a lost answer) moves nothing and answers the movement
    /// made, marked as a replay, even once its session is closed (a retry must not make it a
    /// second time in the next session); another amount, kind or reason under it is
    /// [`Error::CashRequestConflict`].
    pub async fn move_cash_once(
        &self,
        actor: &Actor,
        register: RegisterId,
        kind: CashMovementKind,
        amount: Money,
        reason: Reason,
        key: &IdempotencyKey,
    ) -> Result<MovedCash> {
        self.moved_cash(actor, register, kind, amount, reason, Some(key))
            .await
    }

    async fn moved_cash(
        &self,
        actor: &Actor,
        register: RegisterId,
        kind: CashMovementKind,
        amount: Money,
        reason: Reason,
        key: Option<&IdempotencyKey>,
    ) -> Result<MovedCash> {
        if amount == Money::ZERO {
            return Err(Error::validation("amount", "must be more than 0.00"));
        }
        self.run(
            || async {
                // The session's lock makes a taken key unlikely.
                let attempt = self
                    .try_move_cash(actor, register, kind, amount, &reason, key)
                    .await;
                rerun_if_taken(attempt, UniqueKey::CashRequest)
            },
            no_unique,
        )
        .await
    }

    async fn try_move_cash(
        &self,
        actor: &Actor,
        register: RegisterId,
        kind: CashMovementKind,
        amount: Money,
        reason: &Reason,
        key: Option<&IdempotencyKey>,
    ) -> Attempt<MovedCash> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        let session = match own_open_session(&mut tx, actor, register, true).await {
            Ok(session) => session,
            // A retry whose session was closed since: what it made there is its answer.
            Err(refusal) => {
                return match key {
                    Some(key) => match tx.cash_movement_by_request_key(register, key).await? {
                        Some(done) => replayed(tx, done, key, kind, amount, reason).await,
                        None => Err(refusal),
                    },
                    None => Err(refusal),
                };
            }
        };
        if let Some(key) = key
            && let Some(done) = tx.cash_movement_by_request_key(register, key).await?
        {
            return replayed(tx, done, key, kind, amount, reason).await;
        }
        if kind == CashMovementKind::Out {
            let totals = tx.cash_session_totals(session.id).await?;
            let in_drawer = totals.expected_cents(Tender::Cash, session.opening_float);
            if amount.cents() > in_drawer {
                return Err(Error::InsufficientCash {
                    requested: amount.to_string(),
                    in_drawer: MoneyDelta::from_cents(in_drawer).to_string(),
                }
                .into());
            }
        }
        let now = self.now();
        let new = NewCashMovement {
            cash_session_id: session.id,
            kind,
            amount,
            reason: reason.clone(),
            created_by: actor.user_id(),
            created_at: now,
            request_key: key.cloned(),
        };
        let id = tx.insert_cash_movement(&new).await?;
        let event = DomainEvent::CashMoved {
            cash_session_id: session.id,
            kind,
            amount,
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(MovedCash {
            movement: CashMovement {
                id,
                cash_session_id: new.cash_session_id,
                kind,
                amount,
                reason: new.reason,
                created_by: new.created_by,
                created_at: now,
            },
            replayed: false,
        })
    }

    /// Closes a session with the amount counted per tender (cash always, and every other tender
    /// the session took), recording expected, counted and the difference; returns the Z report.
    /// The owner closes their own session; managers close anyone's. A closed session never
    /// changes ([`Error::CashSessionClosed`]).
    pub async fn close_cash_session(
        &self,
        actor: &Actor,
        id: CashSessionId,
        counted: &[(Tender, Money)],
    ) -> Result<SessionReport> {
        self.run(|| self.try_close(actor, id, counted), no_unique)
            .await?;
        self.session_report(actor, id).await
    }

    async fn try_close(
        &self,
        actor: &Actor,
        id: CashSessionId,
        counted: &[(Tender, Money)],
    ) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        let session = tx
            .lock_cash_session(id)
            .await?
            .ok_or_else(|| Error::not_found("cash session", id))?;
        if !session.is_open() {
            return Err(Error::CashSessionClosed { session_id: id }.into());
        }
        check_owner(actor, &session)?;
        let totals = tx.cash_session_totals(id).await?;
        let counts = reconcile(&totals, session.opening_float, counted)?;
        let cash_difference = counts
            .iter()
            .find(|c| c.tender == Tender::Cash)
            .map_or(MoneyDelta::default(), |c| c.difference);
        let now = self.now();
        tx.close_cash_session(
            id,
            &SessionClosing {
                closed_by: actor.user_id(),
                closed_at: now,
                counts,
            },
        )
        .await?;
        let event = DomainEvent::SessionClosed {
            cash_session_id: id,
            register_id: session.register_id,
            cash_difference,
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The X report of an open session or the Z report of a closed one: sales, gross,
    /// discounts, returns, net by tender, cash expected against counted, who and when. Operators
    /// read their own sessions' reports, managers every one.
    pub async fn session_report(&self, actor: &Actor, id: CashSessionId) -> Result<SessionReport> {
        actor.require(Permission::Read)?;
        let session = self.cash_session(actor, id).await?;
        let register = self
            .store
            .registers()
            .await
            .map_err(store_error)?
            .into_iter()
            .find(|r| r.id == session.register_id)
            .ok_or_else(|| Error::Internal {
                message: format!("cash session {id} names a missing register"),
            })?;
        let totals = self
            .store
            .cash_session_totals(id)
            .await
            .map_err(store_error)?;
        let opened_by = self.username_of(session.opened_by).await?;
        let closed_by = match &session.closing {
            Some(closing) => Some(self.username_of(closing.closed_by).await?),
            None => None,
        };
        SessionReport::new(register, session, opened_by, closed_by, totals, self.now())
    }

    async fn username_of(&self, user: Option<UserId>) -> Result<String> {
        Ok(match user {
            None => "system".to_string(),
            Some(id) => self
                .store
                .user(id)
                .await
                .map_err(store_error)?
                .map_or_else(|| format!("user {id}"), |r| r.user.username.to_string()),
        })
    }

    /// A cash session: one's own, or any for managers.
    pub async fn cash_session(&self, actor: &Actor, id: CashSessionId) -> Result<CashSession> {
        actor.require(Permission::Read)?;
        let session = self
            .store
            .cash_session(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| Error::not_found("cash session", id))?;
        check_owner(actor, &session)?;
        Ok(session)
    }

    /// A register's sessions, newest first (the first is the open one, if any).
    pub async fn cash_sessions(
        &self,
        actor: &Actor,
        register: RegisterId,
        page: PageRequest,
    ) -> Result<Page<CashSession>> {
        actor.require(Permission::Read)?;
        self.store
            .cash_sessions(register, page)
            .await
            .map_err(store_error)
    }

    /// A session's cash movements, oldest first.
    pub async fn cash_movements(
        &self,
        actor: &Actor,
        id: CashSessionId,
    ) -> Result<Vec<CashMovement>> {
        self.cash_session(actor, id).await?;
        self.store.cash_movements(id).await.map_err(store_error)
    }
}

/// Operators act on their own sessions only; managers on anyone's.
fn check_owner(actor: &Actor, session: &CashSession) -> Result<()> {
    if session.opened_by == actor.user_id() || actor.can(Permission::Supervise) {
        Ok(())
    } else {
        Err(Error::CashSessionNotYours {
            session_id: session.id,
        })
    }
}

/// The answer to a keyed movement already made: a replay if it is the same movement, a conflict
/// if the key was used for another.
async fn replayed(
    tx: Box<dyn Transaction>,
    done: CashMovement,
    key: &IdempotencyKey,
    kind: CashMovementKind,
    amount: Money,
    reason: &Reason,
) -> Attempt<MovedCash> {
    if done.kind != kind || done.amount != amount || done.reason != *reason {
        return Err(Error::CashRequestConflict {
            key: key.to_string(),
            movement_id: done.id,
        }
        .into());
    }
    tx.commit().await?;
    Ok(MovedCash {
        movement: done,
        replayed: true,
    })
}
