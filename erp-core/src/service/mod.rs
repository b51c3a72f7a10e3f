//! The service API: [`Erp`], one method per thing a user can do.
//!
//! Each command checks the actor's permission, runs in one store transaction, writes its stock
//! movements, history rows and outbox events in that same transaction, and retries the whole
//! transaction when the backend reports a transient conflict (deadlock, lock timeout, busy).

mod cash;
mod customers;
mod demo;
mod operations;
mod orders;
mod parked;
mod products;
mod receipts;
mod returns;
mod sales;
mod sessions;
mod shop;
mod users;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use demo::SeedReport;
pub use sessions::{IssuedRefreshToken, REFRESH_TOKEN_TTL};

use crate::Actor;
use crate::domain::{Clock, DiscountPolicy, LoginPolicy, Permission, SystemClock, Timestamp};
use crate::error::{Error, Result};
use crate::events::{DomainEvent, NewEvent};
use crate::hashing::{HashingGate, HashingLimits};
use crate::store::memory::MemoryStore;
use crate::store::{Store, StoreError, Transaction, UniqueKey};

/// How many times a command runs before a transient conflict is reported as [`Error::Busy`].
/// Each retry waits longer (see [`Store::pause_before_retry`]); ten attempts ride out the
/// deadlock storms of a hot SKU without making a client wait for seconds.
const MAX_ATTEMPTS: u32 = 10;

/// The ERP: every command and query, over any [`Store`].
///
/// Cheap to clone; clones share the store.
///
/// ```
/// # futures::executor::block_on(async {
/// use erp_core::{Actor, Erp};
/// use erp_core::domain::{Money, Name, NewProduct, Sku};
///
/// let erp = Erp::in_memory();
/// let admin = Actor::system();
/// let tea = erp
///     .create_product(&admin, NewProduct {
///         sku: Sku::parse("TEA-01").unwrap(),
///         name: Name::parse("Green tea").unwrap(),
///         price: Money::parse("4.90").unwrap(),
///         initial_stock: 10,
///         reorder_level: 2,
///     })
///     .await
///     .unwrap();
/// assert_eq!(tea.available(), 10);
/// # });
/// ```
#[derive(Clone)]
pub struct Erp {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    retries: Arc<AtomicU64>,
    discounts: DiscountPolicy,
    hashing: Arc<HashingGate>,
    logins: LoginPolicy,
}

/// Why one attempt of a command stopped.
pub(crate) enum Failure {
    /// A business rule said no: report it.
    Rule(Error),
    /// The store failed: retry, map a unique violation, or report.
    Store(StoreError),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Rule(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

/// The result of one attempt.
pub(crate) type Attempt<T> = std::result::Result<T, Failure>;

/// Maps a store failure that no command handles specially.
pub(crate) fn store_error(error: StoreError) -> Error {
    match error {
        StoreError::Retryable(message) => Error::Busy { message },
        StoreError::Unavailable(message) => Error::Unavailable { message },
        StoreError::OutcomeUnknown(message) => Error::OutcomeUnknown { message },
        StoreError::Other(message) => Error::Internal { message },
        StoreError::Unique(key) => Error::Internal {
            message: format!("unexpected unique violation on {key:?}"),
        },
    }
}

impl Erp {
    /// An ERP over `store`.
    pub fn new(store: Arc<dyn Store>) -> Erp {
        Erp {
            store,
            clock: Arc::new(SystemClock),
            retries: Arc::new(AtomicU64::new(0)),
            discounts: DiscountPolicy::default(),
            hashing: Arc::new(HashingGate::new(HashingLimits::default())),
            logins: LoginPolicy::default(),
        }
    }

    /// An ERP over a fresh in-memory store.
    pub fn in_memory() -> Erp {
        Erp::new(Arc::new(MemoryStore::new()))
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Erp {
        self.clock = clock;
        self
    }

    /// Replaces the discount rule (the limit above which a manager approves; 10 % by default).
    pub fn with_discount_policy(mut self, policy: DiscountPolicy) -> Erp {
        self.discounts = policy;
        self
    }

    /// Replaces the limits on password hashing (how many hashes run at once, how many logins
    /// may wait; see [`HashingLimits`]). Clones made after this share the new limits.
    pub fn with_hashing_limits(mut self, limits: HashingLimits) -> Erp {
        self.hashing = Arc::new(HashingGate::new(limits));
        self
    }

    /// Replaces the limits on failed logins (see [`Erp::authenticate_from`]).
    pub fn with_login_policy(mut self, policy: LoginPolicy) -> Erp {
        self.logins = policy;
        self
    }

    /// The limits on password hashing in force.
    pub fn hashing_limits(&self) -> HashingLimits {
        self.hashing.limits()
    }

    /// Runs password hashing under the hashing limits, off the async executor.
    pub(crate) async fn hash_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.hashing.run(work).await
    }

    /// The discount rule in force.
    pub fn discount_policy(&self) -> DiscountPolicy {
        self.discounts
    }

    /// `memory`, `sqlite` or `mysql`.
    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    /// How many times commands of this `Erp` (and its clones) were run again after a transient
    /// conflict: a deadlock, a lock wait timeout or, on a Galera cluster, a certification
    /// failure. A figure for monitoring and measurement; retries are invisible to callers.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.store.ping().await.map_err(store_error)
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs `attempt` until it succeeds, fails for a reason other than a transient conflict, or
    /// has run [`MAX_ATTEMPTS`] times. `on_unique` explains a unique violation to the caller.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        mut attempt: F,
        on_unique: impl Fn(UniqueKey) -> Error,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let mut number = 1;
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Failure::Rule(error)) => return Err(error),
                Err(Failure::Store(StoreError::Unique(key))) => return Err(on_unique(key)),
                Err(Failure::Store(StoreError::Retryable(_))) if number < MAX_ATTEMPTS => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    self.store.pause_before_retry(number).await;
                    number += 1;
                }
                Err(Failure::Store(error)) => return Err(store_error(error)),
            }
        }
    }

    /// Starts a transaction.
    pub(crate) async fn begin(&self) -> Attempt<Box<dyn Transaction>> {
        Ok(self.store.begin().await?)
    }

    /// The actor as the database knows them now, read inside the command's own transaction:
    /// refused with [`Error::UserInactive`] once deactivated, and with [`Error::Forbidden`] unless
    /// their current role allows `permission`. This is the one place a command checks who acts,
    /// so a till left open by a user who was deactivated or demoted a minute ago, or a session
    /// token that still names an old role, cannot do what the user no longer may.
    ///
    /// The system actor has no row and keeps its admin rights.
    pub(crate) async fn authorize(
        &self,
        tx: &mut Box<dyn Transaction>,
        actor: &Actor,
        permission: Option<Permission>,
    ) -> Attempt<Actor> {
        let current = match actor.user_id() {
            None => actor.clone(),
            Some(id) => {
                let user = tx.acting_user(id).await?.ok_or_else(|| {
                    if actor.is_checked() {
                        Error::not_found("user", id)
                    } else {
                        // The token names a user that does not exist: the token is worthless.
                        Error::InvalidToken
                    }
                })?;
                if !user.active {
                    return Err(Error::UserInactive {
                        username: user.username.to_string(),
                    }
                    .into());
                }
                Actor::for_user(&user)
            }
        };
        if let Some(permission) = permission {
            current.require(permission)?;
        }
        Ok(current)
    }

    /// Writes `event` to the outbox of `tx`.
    pub(crate) async fn record(
        &self,
        tx: &mut Box<dyn Transaction>,
        actor: &Actor,
        event: DomainEvent,
        at: Timestamp,
    ) -> Attempt<()> {
        tx.insert_event(&NewEvent::new(&event, actor.user_id(), at))
            .await?;
        Ok(())
    }
}

/// An attempt whose idempotency key (`key`) was taken by a request that committed first is run
/// again: the next attempt finds that request's result and replays it.
pub(crate) fn rerun_if_taken<T>(attempt: Attempt<T>, key: UniqueKey) -> Attempt<T> {
    match attempt {
        Err(Failure::Store(StoreError::Unique(taken))) if taken == key => Err(Failure::Store(
            StoreError::Retryable(format!("{taken:?} taken meanwhile")),
        )),
        other => other,
    }
}

/// For commands that have no unique constraint to explain.
pub(crate) fn no_unique(key: UniqueKey) -> Error {
    store_error(StoreError::Unique(key))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn transient_conflicts_are_retried_then_reported_as_busy() {
        let erp = Erp::in_memory();
        let calls = Cell::new(0);
        let flaky = || {
            calls.set(calls.get() + 1);
            let call = calls.get();
            async move {
                if call < 3 {
                    Err(Failure::Store(StoreError::Retryable("deadlock".into())))
                } else {
                    Ok(call)
                }
            }
        };
        assert_eq!(
            futures::executor::block_on(erp.run(flaky, no_unique)),
            Ok(3)
        );
        assert_eq!(erp.retries(), 2, "two reruns counted");

        calls.set(0);
        let hopeless = || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(Failure::Store(StoreError::Retryable("deadlock".into()))) }
        };
        let outcome = futures::executor::block_on(erp.run(hopeless, no_unique));
        assert!(matches!(outcome, Err(Error::Busy { .. })), "{outcome:?}");
        assert_eq!(calls.get(), MAX_ATTEMPTS);
        assert_eq!(erp.retries(), 2 + u64::from(MAX_ATTEMPTS - 1));
    }

    #[test]
    fn rule_failures_and_lost_connections_are_not_retried() {
        let erp = Erp::in_memory();
        let calls = Cell::new(0);
        let refused = || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(Failure::Rule(Error::InvalidCredentials)) }
        };
        assert_eq!(
            futures::executor::block_on(erp.run(refused, no_unique)),
            Err(Error::InvalidCredentials)
        );
        let gone = || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(Failure::Store(StoreError::Unavailable("reset".into()))) }
        };
        // A lost connection may have lost an acknowledged commit: retrying a non-idempotent
        // command could apply it twice, so it is reported instead.
        assert!(matches!(
            futures::executor::block_on(erp.run(gone, no_unique)),
            Err(Error::Unavailable { .. })
        ));
        assert_eq!(calls.get(), 2);
    }
}
