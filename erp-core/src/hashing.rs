//! Where password hashing runs and how much memory it holds.
//!
//! One argon2id run needs 19 MiB. Handing every login its own blocking thread and its own fresh
//! allocation let a burst of logins take gigabytes that the allocator then kept (glibc keeps the
//! arenas of every thread that ever used them). So a login waits for one of a few permits (about
//! one per core: more runs at once would not finish sooner), a short queue of waiters is allowed
//! beyond that, and a login past the queue is refused at once as busy. Each run borrows its
//! memory from a pool of buffers that are reused while a burst lasts and given back to the
//! system when it ends, so the memory used for hashing is bounded by the number of permits and
//! an idle server holds none.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argon2::Block;

use crate::error::{Error, Result};

/// How many password hashes run at once and how many logins may wait for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes running at once (at least 1). Each holds 19 MiB while it runs.
    pub concurrent: usize,
    /// Logins waiting for a free slot beyond those running; one more is refused with
    /// [`Error::HashingBusy`].
    pub queue: usize,
}

impl Default for HashingLimits {
    /// One hash per core, and a queue of 16 per core: at the ~50 ms a hash takes, a login waits
    /// under a second before it is either served or told to come back.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        HashingLimits {
            concurrent: cores,
            queue: 16 * cores,
        }
    }
}

/// Admits password work up to the limits and runs it off the async executor.
pub(crate) struct HashingGate {
    limits: HashingLimits,
    admitted: Arc<AtomicUsize>,
    #[cfg(feature = "sql")]
    permits: Arc<tokio::sync::Semaphore>,
}

/// One admitted piece of work; leaving (done, or its caller gone) frees its place.
struct Ticket(Arc<AtomicUsize>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long a refused login is told to wait: by then the queue has moved on.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

impl HashingGate {
    pub(crate) fn new(limits: HashingLimits) -> HashingGate {
        let limits = HashingLimits {
            concurrent: limits.concurrent.max(1),
            queue: limits.queue,
        };
        HashingGate {
            limits,
            admitted: Arc::new(AtomicUsize::new(0)),
            #[cfg(feature = "sql")]
            permits: Arc::new(tokio::sync::Semaphore::new(limits.concurrent)),
        }
    }

    pub(crate) fn limits(&self) -> HashingLimits {
        self.limits
    }

    fn admit(&self) -> Result<Ticket> {
        let most = self.limits.concurrent + self.limits.queue;
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let ticket = Ticket(Arc::clone(&self.admitted));
        if before >= most {
            return Err(Error::HashingBusy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            });
        }
        Ok(ticket)
    }

    /// Runs `work` (password hashing) when a permit is free, on a blocking thread when there is
    /// a tokio runtime; fails with [`Error::HashingBusy`] when too many are already waiting.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let ticket = self.admit()?;
        #[cfg(feature = "sql")]
        if tokio::runtime::Handle::try_current().is_ok() {
            let permit = Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|e| Error::Internal {
                    message: format!("hashing permits closed: {e}"),
                })?;
            // The permit and the ticket go with the work: if the caller gives up, the running
            // hash still counts until it ends.
            return tokio::task::spawn_blocking(move || {
                let _held = (permit, ticket);
                work()
            })
            .await
            .map_err(|e| Error::Internal {
                message: format!("blocking task failed: {e}"),
            });
        }
        let _held = ticket;
        Ok(work())
    }
}

/// Buffers kept for reuse while hashes keep coming. Beyond this many (more gates than one, say)
/// a buffer is given back after use rather than kept.
fn kept_buffers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The least each buffer reserves. glibc gives an allocation above its mmap threshold a mapping
/// of its own, unmapped (returned to the system) when freed; but freeing one raises the
/// threshold to its size, up to 32 MiB, so the next 19 MiB buffer would come from an arena
/// and stay there after it is freed: that is how a burst of logins kept gigabytes. Reserving
/// more than 32 MiB keeps every buffer a mapping of its own. The pages argon2 never touches
/// (beyond its 19 MiB) are never made resident and cost nothing.
const RESERVED_BYTES: usize = 33 << 20;

struct Pool {
    idle: Vec<Vec<Block>>,
    lent: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    idle: Vec::new(),
    lent: 0,
});

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` with `blocks` argon2 memory blocks. During a burst of logins the buffers are
/// reused; when the last hash of the burst ends, every buffer is given back to the system, so
/// an idle server holds no hashing memory.
pub(crate) fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = {
        let mut pool = pool();
        pool.lent += 1;
        pool.idle.pop()
    };
    let mut buffer = taken
        .unwrap_or_else(|| Vec::with_capacity(blocks.max(RESERVED_BYTES.div_ceil(Block::SIZE))));
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    let outcome = work(&mut buffer[..blocks]);
    let released = {
        let mut pool = pool();
        pool.lent -= 1;
        if pool.lent == 0 {
            // The burst is over: give every buffer back.
            let mut released = std::mem::take(&mut pool.idle);
            released.push(buffer);
            released
        } else if pool.idle.len() < kept_buffers() {
            pool.idle.push(buffer);
            Vec::new()
        } else {
            vec![buffer]
        }
    };
    // Unmapped outside the lock.
    drop(released);
    outcome
}

#[cfg(all(test, feature = "sql"))]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_past_the_queue_is_refused_as_busy() {
        let gate = Arc::new(HashingGate::new(HashingLimits {
            concurrent: 1,
            queue: 1,
        }));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let running = {
            let gate = Arc::clone(&gate);
            let wait = Arc::clone(&wait);
            tokio::spawn(async move {
                gate.run(move || {
                    let _ = wait.lock().map(|w| w.recv_timeout(Duration::from_secs(10)));
                })
                .await
            })
        };
        let queued = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.run(|| 2).await })
        };
        while gate.admitted.load(Ordering::Acquire) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            gate.run(|| 3).await,
            Err(Error::HashingBusy {
                retry_after_secs: 1
            })
        );
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap(), Ok(()));
        assert_eq!(queued.await.unwrap(), Ok(2));
        assert_eq!(gate.run(|| 4).await, Ok(4), "the queue has room again");
        assert_eq!(gate.admitted.load(Ordering::Acquire), 0);
    }
}
