//! Operator tasks: the invariant check and the outbox.

use super::{Erp, store_error};
use crate::Actor;
use crate::domain::audit::{Inconsistency, check};
use crate::domain::{EventId, Permission};
use crate::error::Result;
use crate::events::{EventRecord, OutboxBacklog};
use crate::store::PoolStatus;

impl Erp {
    /// Checks the invariants of ARCHITECTURE.md on the live data and lists every inconsistency
    /// (stock versus movements, reserved versus open orders, totals, illegal histories). Empty
    /// means consistent. For operators after an incident or a manual SQL edit.
    pub async fn check_invariants(&self, actor: &Actor) -> Result<Vec<Inconsistency>> {
        actor.require(Permission::Operate)?;
        let snapshot = self.store.audit_snapshot().await.map_err(store_error)?;
        Ok(check(&snapshot))
    }

    /// Outbox events after `after` (all from the start when `None`), oldest first.
    ///
    /// Ids are given out when a unit of work inserts its event, so one that commits later can hold
    /// a smaller id than one already read: a reader paging by id alone may skip it. A consumer that
    /// must see every event should use [`Erp::unpublished_events`] and
    /// [`Erp::mark_events_published`], as erp-server's relay does, or re-read a window behind its
    /// cursor and drop the ids it has seen.
    pub async fn events_after(
        &self,
        actor: &Actor,
        after: Option<EventId>,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        actor.require(Permission::Read)?;
        self.store
            .events_after(after, limit.clamp(1, 1000))
            .await
            .map_err(store_error)
    }

    /// Events not yet published by a relay, oldest first.
    pub async fn unpublished_events(&self, actor: &Actor, limit: u32) -> Result<Vec<EventRecord>> {
        actor.require(Permission::Operate)?;
        self.store
            .unpublished_events(limit.clamp(1, 1000))
            .await
            .map_err(store_error)
    }

    /// How many events wait for a relay and since when: the outbox backlog and, from the
    /// oldest, how far publishing lags.
    pub async fn outbox_backlog(&self, actor: &Actor) -> Result<OutboxBacklog> {
        actor.require(Permission::Operate)?;
        self.store.outbox_backlog().await.map_err(store_error)
    }

    /// The database connection pool's state, for monitoring; `None` for the in-memory backend.
    pub fn pool_status(&self) -> Option<PoolStatus> {
        self.store.pool_status()
    }

    /// Marks events as published (called by a relay after the broker acknowledged them).
    pub async fn mark_events_published(&self, actor: &Actor, ids: &[EventId]) -> Result<()> {
        actor.require(Permission::Operate)?;
        self.store
            .mark_events_published(ids, self.now())
            .await
            .map_err(store_error)
    }

    /// Deletes the failed-login counters whose last failure is older than
    /// [`FORGET_FAILURES_AFTER`](crate::domain::FORGET_FAILURES_AFTER): they no longer
    /// count, and a guesser trying many names from many addresses would otherwise grow the table
    /// without end. At most `batch` rows per unit of work and `max_batches` units per call;
    /// returns how many it deleted. A server calls this now and then.
    pub async fn delete_forgotten_login_failures(
        &self,
        actor: &Actor,
        batch: u32,
        max_batches: u32,
    ) -> Result<u64> {
        actor.require(Permission::Operate)?;
        let before = self.now() - crate::domain::FORGET_FAILURES_AFTER;
        in_batches(batch, max_batches, |limit| {
            self.store.delete_forgotten_login_failures(before, limit)
        })
        .await
    }

    /// Deletes the events published longer than `retention` ago, `batch` rows per unit of work,
    /// for at most `max_batches` batches; returns how many it deleted. Unpublished events are
    /// never deleted, however old. Published events are kept for a while for readers of
    /// [`Erp::events_after`]; past the retention only the Redis stream has them.
    ///
    /// A relay calls this now and then; the batch bound keeps each delete's locks short, and the
    /// batch count bounds one call when a large backlog expires at once (the rest goes next time).
    pub async fn delete_published_events(
        &self,
        actor: &Actor,
        retention: std::time::Duration,
        batch: u32,
        max_batches: u32,
    ) -> Result<u64> {
        actor.require(Permission::Operate)?;
        let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let Some(cutoff) = self.now().checked_sub_signed(retention) else {
            // A retention longer than all of time so far: nothing has expired.
            return Ok(0);
        };
        in_batches(batch, max_batches, |limit| {
            self.store.delete_published_events(cutoff, limit)
        })
        .await
    }
}

/// Runs `delete` (one unit of work removing at most `batch` rows, clamped to 1..=10,000) until a
/// batch comes back short or `max_batches` have run; returns how many rows went. The batch bound
/// keeps each delete's locks short; the batch count bounds one call when a large backlog expires
/// at once (the rest goes next time).
async fn in_batches<F, Fut>(batch: u32, max_batches: u32, mut delete: F) -> Result<u64>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = crate::store::StoreResult<u64>>,
{
    let batch = batch.clamp(1, 10_000);
    let mut deleted = 0;
    for _ in 0..max_batches {
        let removed = delete(batch).await.map_err(store_error)?;
        deleted += removed;
        if removed < u64::from(batch) {
            break;
        }
    }
    Ok(deleted)
}
