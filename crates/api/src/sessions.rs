//! Whether an access token still opens its account's door, decided on every request from memory.
//!
//! An access token carries its account's session epoch (`ver`). Deactivating the account,
//! changing its password or "log out everywhere" raises the epoch in the database
//! (`store::accounts`); a token of an older epoch, of an inactive account, or of an account that
//! no longer exists is refused with 401. Every instance keeps the accounts it has seen in a map:
//! - this instance forgets an account as soon as it changes it;
//! - on PostgreSQL, the change is announced with `NOTIFY` in the transaction that makes it, and
//!   every instance listens and forgets the account when the transaction commits (well under a
//!   second); when the listening connection drops, an instance forgets everything;
//! - an entry older than [`ENTRY_TTL`] is read again anyway, so nothing can stay wrong for long
//!   even if a notification were lost.
//!
//! A hit costs a read lock and a hash lookup; a miss, one primary-key read.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use mentorship_store::Store;
use mentorship_store::accounts::{self, Gate, Heard};
use uuid::Uuid;

use crate::error::ApiError;

/// How long an account's gate is trusted without being read again.
pub const ENTRY_TTL: Duration = Duration::from_secs(30);
/// Past this many accounts the map is emptied rather than grown: a miss costs one read.
const MAX_ENTRIES: usize = 100_000;

/// The gates of the accounts this instance has seen.
#[derive(Default)]
pub struct SessionGates {
    gates: RwLock<HashMap<Uuid, (Gate, Instant)>>,
}

/// Why a token's session is over, for its 401.
fn refused(gate: Option<Gate>, epoch: i64) -> Option<ApiError> {
    match gate {
        None => Some(ApiError::InvalidToken(
            "the account of this token no longer exists",
        )),
        Some(g) if !g.active => Some(ApiError::InvalidToken("the account is deactivated")),
        Some(g) if g.session_epoch != epoch => Some(ApiError::InvalidToken(
            "this session was ended (log out everywhere, a new password, or a deactivation); log in again",
        )),
        Some(_) => None,
    }
}

impl SessionGates {
    /// The decision for a token of `user_id` at `epoch`, if the gate is in memory and fresh:
    /// `Some(Ok)` to let it in, `Some(Err)` to refuse it, `None` to read the gate first.
    pub fn decide_cached(&self, user_id: Uuid, epoch: i64) -> Option<Result<(), ApiError>> {
        let gates = self.gates.read().unwrap_or_else(PoisonError::into_inner);
        let (gate, read_at) = gates.get(&user_id)?;
        if read_at.elapsed() > ENTRY_TTL {
            return None;
        }
        Some(refused(Some(*gate), epoch).map_or(Ok(()), Err))
    }

    /// Reads the gate of `user_id`, keeps it (an existing account's), and decides.
    pub async fn decide(&self, store: &Store, user_id: Uuid, epoch: i64) -> Result<(), ApiError> {
        let gate = accounts::gate(store, user_id).await?;
        if let Some(gate) = gate {
            let mut gates = self.gates.write().unwrap_or_else(PoisonError::into_inner);
            if gates.len() >= MAX_ENTRIES {
                gates.clear();
            }
            gates.insert(user_id, (gate, Instant::now()));
        }
        refused(gate, epoch).map_or(Ok(()), Err)
    }

    /// Forgets an account whose gate changed: its next token is checked against the database.
    pub fn forget(&self, user_id: Uuid) {
        let mut gates = self.gates.write().unwrap_or_else(PoisonError::into_inner);
        gates.remove(&user_id);
    }

    /// Forgets every account (the announcements may have been missed).
    pub fn forget_all(&self) {
        self.gates
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Listens, on PostgreSQL, to the changes other instances announce, and forgets those accounts;
/// returns when the store has no announcements to listen to (SQLite) or the store is closed.
pub async fn listen(store: Store, gates: std::sync::Arc<SessionGates>) {
    let Some(mut changes) = (match accounts::watch(&store).await {
        Ok(changes) => changes,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen to account changes; sessions end within {}s", ENTRY_TTL.as_secs());
            return;
        }
    }) else {
        return;
    };
    loop {
        match changes.next().await {
            Heard::Changed(user_id) => gates.forget(user_id),
            Heard::Missed => {
                tracing::warn!(
                    "account announcements may have been missed; forgetting every session gate"
                );
                gates.forget_all();
                // The listener reconnects on the next call; do not spin while the server is away.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Heard::Closed => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_gate_decides_by_epoch_and_activity() {
        let gates = SessionGates::default();
        let id = Uuid::now_v7();
        assert!(gates.decide_cached(id, 1).is_none());
        let gate = Gate {
            session_epoch: 2,
            active: true,
        };
        gates
            .gates
            .write()
            .unwrap()
            .insert(id, (gate, Instant::now()));
        assert!(matches!(gates.decide_cached(id, 2), Some(Ok(()))));
        assert!(matches!(gates.decide_cached(id, 1), Some(Err(_))));
        gates.forget(id);
        assert!(gates.decide_cached(id, 2).is_none());
        assert!(refused(None, 1).is_some());
        let off = Gate {
            active: false,
            ..gate
        };
        assert!(refused(Some(off), 2).is_some());
    }
}
