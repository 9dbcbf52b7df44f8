//! `/api/2/usersearch`: an Amplitude ID (`match_amplitude_id`), an exact user or device ID
//! (`match_user_or_device_id`), or a user ID prefix (`match_user_prefix`, up to 100 users in user
//! ID order); otherwise `nomatch`.

use amp_model::dashboard::UserSearchQuery;
use serde_json::{Value, json};

use crate::project::Project;

const MAX_PREFIX_MATCHES: usize = 100;

fn found(project: &Project, user: u32) -> Value {
    let user = &project.store.users[user as usize];
    json!({
        "user_id": user.user_id,
        "amplitude_id": user.amplitude_id,
        "last_device_id": project.store.device_ids(user).next_back(),
        "platform": project.store.attr(user, "platform"),
        "country": project.store.attr(user, "country"),
        "last_seen": project.calendar.day_of(user.last_seen_ms).format("%Y-%m-%d").to_string(),
    })
}

/// Answers it.
pub fn compute(project: &Project, query: &UserSearchQuery) -> Value {
    let store = &project.store;
    let text = query.user.trim();
    if let Some(user) = text
        .parse::<u64>()
        .ok()
        .and_then(|id| store.by_amplitude_id(id))
    {
        return json!({"type": "match_amplitude_id", "matches": [found(project, user)]});
    }
    if let Some(user) = store.by_user_id(text).or_else(|| store.by_device(text)) {
        return json!({"type": "match_user_or_device_id", "matches": [found(project, user)]});
    }
    let mut prefixed: Vec<(&str, u32)> = store
        .users
        .iter()
        .enumerate()
        .filter_map(|(index, user)| {
            let id = user.user_id.as_deref()?;
            id.starts_with(text).then(|| {
                (
                    id,
                    u32::try_from(index).expect("fewer than 4 billion users"),
                )
            })
        })
        .collect();
    if prefixed.is_empty() {
        return json!({"type": "nomatch", "matches": []});
    }
    prefixed.sort_unstable();
    let matches: Vec<Value> = prefixed
        .iter()
        .take(MAX_PREFIX_MATCHES)
        .map(|&(_, user)| found(project, user))
        .collect();
    json!({"type": "match_user_prefix", "matches": matches})
}
