//! `/v1/userprofile`: one user's properties, computations, cohorts, recommendations and
//! propensities, with the Profile API's own authentication and error bodies.
//!
//! - `amp_props`: the user's custom properties plus `library`, `first_used` and `last_used`;
//!   computations are added under their names, as strings, and an unknown `comp_id` as `null`.
//! - `cohort_ids`: the configured cohorts whose segment the user meets now.
//! - Recommendations: the `item_property` values of the configured event, ranked by how many
//!   users had each, without those the user had. A stable hash of the user and `rec_id` puts
//!   `control_share` of users in the control group, who get random items; `rec_type=model` or
//!   `random` overrides the assignment.
//! - Propensities: a user's score for a prediction is `1 - e^(-n/3)`, n being how often they did
//!   its event in the last 30 days; `pct` is the share of users with a lower score, 0 to 100.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use amp_model::catalogue::RateClass;
use amp_model::profile::{
    Propensity, Recommendation, UserData, UserProfileQuery, UserProfileResponse,
};
use amp_model::{PropensityType, RecType};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::config::{ComputationKind, RecommendationConfig};
use crate::predicate::segment_matches;
use crate::project::Project;
use crate::request::read;
use crate::respond::{answer, json_response, rate_limited};
use crate::state::AppState;
use crate::store::{Prop, number_text};

const DAY_MS: i64 = 86_400_000;

fn flat_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"error": message}))
}

/// The route.
pub async fn handle(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri) -> Response {
    let secret = state.read().config.secret_key.clone();
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Api-Key "))
    {
        None => {
            return (
                StatusCode::UNAUTHORIZED,
                "Missing Api-Key in Authorization header",
            )
                .into_response();
        }
        Some(key) if key.trim() != secret => {
            return (StatusCode::UNAUTHORIZED, "Invalid Api-Key").into_response();
        }
        Some(_) => {}
    }
    let request = match read::<UserProfileQuery>(uri.path(), uri.query()) {
        Ok(request) => request,
        Err(refusal) => return flat_error(StatusCode::BAD_REQUEST, &refusal.to_string()),
    };
    let _permit = match state.limiter.admit(RateClass::Profile, 1) {
        Ok(permit) => permit,
        Err(refusal) => return rate_limited(RateClass::Profile, &refusal.0),
    };
    let outcome = compute(&state.read(), &request);
    match outcome {
        Ok(body) => answer(&state, || serde_json::to_value(body).unwrap_or_default()).await,
        Err(message) => flat_error(StatusCode::BAD_REQUEST, &message),
    }
}

/// Answers it, or gives the Profile API's error message.
pub fn compute(project: &Project, query: &UserProfileQuery) -> Result<UserProfileResponse, String> {
    let store = &project.store;
    let user = query
        .user_id
        .as_deref()
        .and_then(|id| store.by_user_id(id))
        .or_else(|| {
            query
                .device_id
                .as_deref()
                .and_then(|id| store.by_device(id))
        })
        .ok_or("User id and device id not seen before")?;
    let record = &store.users[user as usize];
    let now = project.now_ms();

    let props = amp_props(project, user, query);

    let mut data = UserData::default();
    data.cohort_ids = query.get_cohort_ids.then(|| {
        project
            .config
            .cohorts
            .iter()
            .filter(|cohort| segment_matches(project, user, &cohort.segment, now))
            .map(|cohort| cohort.id.clone())
            .chain(
                project
                    .managed
                    .cohorts
                    .iter()
                    .filter(|(_, uploaded)| uploaded.members.contains(&record.amplitude_id))
                    .map(|(id, _)| id.clone()),
            )
            .collect()
    });
    data.recommendations = if query.get_recs {
        let recs: Result<Vec<Recommendation>, String> = query
            .rec_ids
            .iter()
            .map(|id| recommendation(project, user, id, query.rec_type.as_ref()))
            .collect();
        Some(recs?)
    } else {
        None
    };
    data.user_id.clone_from(&record.user_id);
    data.device_id = store.device_ids(record).next().map(str::to_owned);
    data.amp_props = props;
    if query.get_propensity {
        let kind = query
            .propensity_type
            .clone()
            .unwrap_or(PropensityType::Score);
        let propensities: Vec<Propensity> = query
            .prediction_ids
            .iter()
            .map(|id| {
                let value = propensity(project, user, id, &kind)
                    .ok_or_else(|| format!("Prediction {id} not found"))?;
                Ok(Propensity::new(value, id, kind.clone()))
            })
            .collect::<Result<_, String>>()?;
        data.propensity = Some(match propensities.as_slice() {
            [one] => Some(one.prop),
            _ => None,
        });
        data.propensities = Some(propensities);
    }
    let mut response = UserProfileResponse::default();
    response.user_data = data;
    Ok(response)
}

/// `amp_props`: the user's properties when asked for, and the computations asked for, as strings
/// under their names (an unknown `comp_id` as `null`); `None` when neither was asked.
fn amp_props(project: &Project, user: u32, query: &UserProfileQuery) -> Option<Map<String, Value>> {
    let store = &project.store;
    let record = &store.users[user as usize];
    let now = project.now_ms();
    let mut props: Option<Map<String, Value>> = None;
    if query.get_amp_props {
        let now = store.latest(record);
        let mut all = store.custom(now).to_map();
        let extra = [
            (
                "library",
                store
                    .attr(now, "library")
                    .map(|value| Value::String(value.to_owned())),
            ),
            ("first_used", day(project, record.first_seen_ms)),
            ("last_used", day(project, record.last_seen_ms)),
        ];
        all.extend(
            extra
                .into_iter()
                .filter_map(|(key, value)| Some((key.to_owned(), value?))),
        );
        props = Some(all);
    }
    let configured = &project.config.computations;
    for computation in configured
        .iter()
        .filter(|computation| query.get_computations || query.comp_ids.contains(&computation.id))
    {
        let since = computation
            .days
            .map_or(i64::MIN, |days| now - i64::from(days) * DAY_MS);
        let events = record
            .events
            .iter()
            .map(|&index| &store.events[index as usize])
            .filter(|event| {
                event.time_ms >= since
                    && event.time_ms <= now
                    && store.strings.name(event.event_type) == computation.event
            });
        let value = if computation.kind == ComputationKind::Count {
            number_text(f64::from(u32::try_from(events.count()).unwrap_or(u32::MAX)))
        } else {
            let property = computation.property.as_deref().unwrap_or_default();
            let sum: f64 = events
                .filter_map(|event| match store.event_prop(event, property) {
                    Some(Prop::Num(number)) => Some(*number),
                    Some(Prop::Str(text)) => store.strings.name(*text).parse().ok(),
                    _ => None,
                })
                .sum();
            format!("{sum:?}")
        };
        props
            .get_or_insert_with(Map::new)
            .insert(computation.name.clone(), Value::String(value));
    }
    for missing in query
        .comp_ids
        .iter()
        .filter(|id| !configured.iter().any(|computation| &computation.id == *id))
    {
        props
            .get_or_insert_with(Map::new)
            .insert(missing.clone(), Value::Null);
    }
    props
}

fn day(project: &Project, ms: i64) -> Option<Value> {
    (ms != i64::MAX && ms != i64::MIN)
        .then(|| json!(project.calendar.day_of(ms).format("%Y-%m-%d").to_string()))
}

fn stable_hash(parts: &[&str]) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

fn recommendation(
    project: &Project,
    user: u32,
    rec_id: &str,
    rec_type: Option<&RecType>,
) -> Result<Recommendation, String> {
    let config = project
        .config
        .recommendations
        .iter()
        .find(|rec| rec.id == rec_id)
        .ok_or_else(|| format!("Recommendation {rec_id} not found"))?;
    let store = &project.store;
    let record = &store.users[user as usize];
    let identity = record.amplitude_id.to_string();
    let roll = stable_hash(&[&identity, rec_id]) % 10_000;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a share in [0, 1] times 10,000"
    )]
    let in_control = roll < (config.control_share.clamp(0.0, 1.0) * 10_000.0) as u64;
    let random = match rec_type {
        Some(RecType::Model) => false,
        Some(RecType::Random) => true,
        _ => in_control,
    };
    let (ranked, had) = item_popularity(project, config, user);
    let candidates: Vec<&String> = ranked.iter().filter(|item| !had.contains(item)).collect();
    let mut items: Vec<&String> = if random {
        let mut shuffled = candidates.clone();
        shuffled.sort_by_key(|item| stable_hash(&[&identity, rec_id, item]));
        shuffled
    } else {
        candidates
    };
    items.truncate(config.items);
    let last_updated = project
        .calendar
        .start_of(project.calendar.day_of(project.now_ms()))
        / 1000;
    let mut recommendation = Recommendation::new(rec_id);
    recommendation.child_rec_id = Some(rec_id.to_owned());
    recommendation.items = items.into_iter().cloned().collect();
    recommendation.is_control = in_control;
    recommendation.recommendation_source = Some(config.model.clone());
    recommendation.last_updated = chrono::DateTime::from_timestamp(last_updated, 0);
    Ok(recommendation)
}

/// Items ranked by how many users had them (ties by name), and the items `user` had.
fn item_popularity(
    project: &Project,
    config: &RecommendationConfig,
    user: u32,
) -> (Vec<String>, Vec<String>) {
    let store = &project.store;
    let mut users_per_item: HashMap<String, std::collections::HashSet<u32>> = HashMap::new();
    for event in store
        .events
        .iter()
        .filter(|event| store.strings.name(event.event_type) == config.event)
    {
        if let Some(item) = store.event_prop(event, &config.item_property) {
            users_per_item
                .entry(store.prop_text(item))
                .or_default()
                .insert(event.user);
        }
    }
    let had: Vec<String> = users_per_item
        .iter()
        .filter(|(_, users)| users.contains(&user))
        .map(|(item, _)| item.clone())
        .collect();
    let mut ranked: Vec<(String, usize)> = users_per_item
        .into_iter()
        .map(|(item, users)| (item, users.len()))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (ranked.into_iter().map(|(item, _)| item).collect(), had)
}

fn score(project: &Project, user: u32, event_type: &str) -> f64 {
    let store = &project.store;
    let now = project.now_ms();
    let count = store.users[user as usize]
        .events
        .iter()
        .map(|&index| &store.events[index as usize])
        .filter(|event| {
            event.time_ms > now - 30 * DAY_MS
                && event.time_ms <= now
                && store.strings.name(event.event_type) == event_type
        })
        .count();
    let raw = 1.0 - (-f64::from(u32::try_from(count).unwrap_or(u32::MAX)) / 3.0).exp();
    (raw * 1e6).round() / 1e6
}

fn propensity(
    project: &Project,
    user: u32,
    prediction_id: &str,
    kind: &PropensityType,
) -> Option<f64> {
    let prediction = project
        .config
        .predictions
        .iter()
        .find(|prediction| prediction.id == prediction_id)?;
    let own = score(project, user, &prediction.event);
    if *kind != PropensityType::Pct {
        return Some(own);
    }
    let users = project
        .store
        .users
        .iter()
        .filter(|user| !user.deleted)
        .count();
    let lower = (0..project.store.users.len())
        .filter(|&other| !project.store.users[other].deleted)
        .filter(|&other| {
            score(
                project,
                u32::try_from(other).unwrap_or(u32::MAX),
                &prediction.event,
            ) < own
        })
        .count();
    #[allow(clippy::cast_precision_loss, reason = "user counts are far below 2^53")]
    let percentile = (lower as f64 * 100.0 / users.max(1) as f64).floor();
    Some(percentile)
}
