//! The synchronisation primitives of the in-memory store: std's, or loom's when model-checking
//! (`RUSTFLAGS="--cfg loom"`), so the loom tests explore every interleaving of the real code.

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

/// Locks `mutex`, recovering the data if a thread panicked while holding it: every critical
/// section of the memory store leaves its tables consistent before it can panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
