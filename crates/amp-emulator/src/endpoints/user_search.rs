//! `/api/2/usersearch`: an Amplitude ID (`match_amplitude_id`), an exact user or device ID
//! (`match_user_or_device_id`), or a user ID prefix (`match_user_prefix`, up to 100 users in user
//! ID order); otherwise `nomatch`.

use amp_model::MatchType;
use amp_model::dashboard::{UserMatch, UserSearchQuery, UserSearchResponse};

use crate::project::Project;

const MAX_PREFIX_MATCHES: usize = 100;

fn found(project: &Project, user: u32) -> UserMatch {
    let user = &project.store.users[user as usize];
    let mut found = UserMatch::new(user.amplitude_id);
    found.user_id.clone_from(&user.user_id);
    found.last_device_id = project
        .store
        .device_ids(user)
        .next_back()
        .map(str::to_owned);
    let now = project.store.latest(user);
    found.platform = project.store.attr(now, "platform").map(str::to_owned);
    found.country = project.store.attr(now, "country").map(str::to_owned);
    found.last_seen = Some(project.calendar.day_of(user.last_seen_ms));
    found
}

fn answer(match_type: MatchType, matches: Vec<UserMatch>) -> UserSearchResponse {
    let mut response = UserSearchResponse::new(match_type);
    response.matches = matches;
    response
}

/// Answers it.
pub fn compute(project: &Project, query: &UserSearchQuery) -> UserSearchResponse {
    let store = &project.store;
    let text = query.user.trim();
    if let Some(user) = text
        .parse::<u64>()
        .ok()
        .and_then(|id| store.by_amplitude_id(id))
    {
        return answer(MatchType::AmplitudeId, vec![found(project, user)]);
    }
    if let Some(user) = store.by_user_id(text).or_else(|| store.by_device(text)) {
        return answer(MatchType::UserOrDeviceId, vec![found(project, user)]);
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
        return answer(MatchType::NoMatch, Vec::new());
    }
    prefixed.sort_unstable();
    let matches = prefixed
        .iter()
        .take(MAX_PREFIX_MATCHES)
        .map(|&(_, user)| found(project, user))
        .collect();
    answer(MatchType::UserPrefix, matches)
}
