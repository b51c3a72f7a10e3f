//! Idempotency keys of returns sent and not yet answered with a return made, per order. They are
//! kept in a small file next to the register's carts, so a till restarted after a crash sends the
//! same key again: erp-core then replays a return that was made instead of taking the goods back
//! twice.
//!
//! Keys older than a day are dropped when the file is read. An unanswered return is retried
//! within minutes, and a stale key must not turn a later, identical return of the same order into
//! a replay of the old one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::cart::new_key;

/// How long a key is kept across restarts, in seconds.
const KEPT_FOR_SECS: i64 = 24 * 60 * 60;

/// One key, and when it was made (seconds since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    key: String,
    made_at: i64,
}

/// The keys, shared by every screen of the till, and the file they are kept in (none: memory
/// only, as for a till without a cart store).
#[derive(Clone, Debug, Default)]
pub struct ReturnKeys {
    keys: Arc<Mutex<HashMap<i64, Pending>>>,
    file: Option<PathBuf>,
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl ReturnKeys {
    /// The keys kept in `file` (missing or unreadable: none), without those older than a day.
    pub fn in_file(file: PathBuf) -> ReturnKeys {
        let kept: HashMap<i64, Pending> = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let now = now_secs();
        let fresh = kept
            .into_iter()
            .filter(|(_, p)| now.saturating_sub(p.made_at) < KEPT_FOR_SECS)
            .collect();
        ReturnKeys {
            keys: Arc::new(Mutex::new(fresh)),
            file: Some(file),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Pending>> {
        // A poisoned map still must not lose a key.
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The key of a return of `order`: the one sent before and not answered yet, or a new one.
    pub fn key_for(&self, order: i64) -> String {
        let mut keys = self.lock();
        if let Some(pending) = keys.get(&order) {
            return pending.key.clone();
        }
        let key = new_key();
        keys.insert(
            order,
            Pending {
                key: key.clone(),
                made_at: now_secs(),
            },
        );
        self.write(&keys);
        key
    }

    /// Forgets `key` of `order` once erp-core answered with the return it made (or refused it
    /// for certain), so the next return of the order is a new one.
    pub fn forget(&self, order: i64, key: &str) {
        let mut keys = self.lock();
        if keys.get(&order).is_some_and(|p| p.key == key) {
            keys.remove(&order);
            self.write(&keys);
        }
    }

    /// Writes the file atomically. A file that cannot be written leaves the keys in memory, which
    /// is what a till without the file has: best effort, never an error at the counter.
    fn write(&self, keys: &HashMap<i64, Pending>) {
        let Some(file) = &self.file else {
            return;
        };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let temporary = file.with_extension("json.tmp");
            std::fs::write(&temporary, serde_json::to_vec(keys)?)?;
            std::fs::rename(&temporary, file)
        };
        let _ = write();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_outlives_a_restart_until_it_is_answered() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("CAIXA-01").join("returns.json");
        let first = ReturnKeys::in_file(file.clone());
        let key = first.key_for(7);
        assert_eq!(first.key_for(7), key, "the same order, the same key");
        assert_ne!(first.key_for(8), key, "another order, another key");

        let restarted = ReturnKeys::in_file(file.clone());
        assert_eq!(restarted.key_for(7), key, "kept across a restart");
        restarted.forget(7, "some other key");
        assert_eq!(restarted.key_for(7), key, "only its own key forgets it");
        restarted.forget(7, &key);
        let again = ReturnKeys::in_file(file);
        assert_ne!(again.key_for(7), key, "answered: the next return is new");
    }

    #[test]
    fn keys_older_than_a_day_are_dropped_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("returns.json");
        let old = HashMap::from([
            (
                1_i64,
                Pending {
                    key: "old".into(),
                    made_at: now_secs() - KEPT_FOR_SECS - 1,
                },
            ),
            (
                2_i64,
                Pending {
                    key: "recent".into(),
                    made_at: now_secs() - 60,
                },
            ),
        ]);
        std::fs::write(&file, serde_json::to_vec(&old).unwrap()).unwrap();
        let keys = ReturnKeys::in_file(file);
        assert_eq!(keys.key_for(2), "recent");
        assert_ne!(keys.key_for(1), "old");
    }

    #[test]
    fn an_unreadable_file_is_no_keys_and_memory_only_still_works() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("returns.json");
        std::fs::write(&file, b"not json").unwrap();
        let keys = ReturnKeys::in_file(file);
        let key = keys.key_for(3);
        assert_eq!(keys.key_for(3), key);
        let memory = ReturnKeys::default();
        let key = memory.key_for(3);
        assert_eq!(memory.key_for(3), key);
    }
}
