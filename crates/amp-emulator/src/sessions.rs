//! Sessions: the events of one user that share a `session_id`.

use std::collections::HashMap;

use crate::store::Store;

/// One session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: u32,
    /// Its first event, ms.
    pub start_ms: i64,
    /// Its last event, ms.
    pub end_ms: i64,
}

impl Session {
    /// From the first event to the last, ms.
    pub fn length_ms(&self) -> i64 {
        self.end_ms - self.start_ms
    }
}

/// Every session that starts within `[from_ms, to_ms)`. Events with `session_id` -1 belong to
/// none.
pub fn sessions(store: &Store, from_ms: i64, to_ms: i64) -> Vec<Session> {
    let mut found: HashMap<(u32, i64), Session> = HashMap::new();
    for event in store.events.iter().filter(|event| event.session_id >= 0) {
        found
            .entry((event.user, event.session_id))
            .and_modify(|session| {
                session.start_ms = session.start_ms.min(event.time_ms);
                session.end_ms = session.end_ms.max(event.time_ms);
            })
            .or_insert(Session {
                user: event.user,
                start_ms: event.time_ms,
                end_ms: event.time_ms,
            });
    }
    let mut sessions: Vec<Session> = found
        .into_values()
        .filter(|session| session.start_ms >= from_ms && session.start_ms < to_ms)
        .collect();
    sessions.sort_by_key(|session| (session.start_ms, session.user));
    sessions
}
