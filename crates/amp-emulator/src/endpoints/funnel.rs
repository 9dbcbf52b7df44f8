//! `/api/2/funnels`: how many users go through each step.
//!
//! A user *enters* with an occurrence of the first step inside the range (`n=new`: only users
//! whose first event falls in the range; only users in the segment). From each such occurrence
//! the engine follows the steps within the conversion window (`cs` seconds after entering) and
//! keeps the attempt that gets furthest, the earliest of equals:
//! - `ordered`: each step is the first matching event after the previous step's;
//! - `sequential`: each step must be the user's very next event;
//! - `unordered`: the steps may come in any order; a user reaches step k when steps 1 to k all
//!   occur within the window (rounded down to whole days) starting at the entering occurrence.
//!
//! Transition times are from one step's event to the next (ms, 0 for the first step; never
//! negative); medians of an even count take the lower middle. `dayFunnels` and its kin split the
//! users by the interval they entered in. User properties apply at the first step, as Amplitude
//! applies them: a segment's property conditions admit only occurrences of the first step at
//! which the user's properties met them, and a group-by (one) reads the user's value at the
//! occurrence that entered; "who performed" conditions are judged once per user. Each
//! segment gives its own funnels, `meta.segmentIndex` telling them apart; `limit` cuts the
//! groups of each, and `hitChunkGroupByLimit` says when it did.

use std::collections::HashMap;

use amp_model::dashboard::{
    DaySeries, Funnel, FunnelMeta, FunnelQuery, FunnelResponse, Segment, SeriesLabel,
};
use amp_model::{FunnelMode, FunnelUserType, Interval, Query as _};

use super::{bucket_of, each_segment, fresh};
use crate::calendar::Bucket;
use crate::matcher::Matcher;
use crate::predicate::{Judge, group_at};
use crate::project::Project;
use crate::store::Store;

const DAY_MS: i64 = 86_400_000;
const DEFAULT_WINDOW_SECS: u64 = 2_592_000;

/// One user's best attempt: the event that entered and the time of each step reached. Only an
/// occurrence of the first step that `judge` admits (the user's properties at that event) can
/// enter.
fn best_attempt(
    store: &Store,
    judge: &Judge<'_>,
    events: &[u32],
    steps: &[Matcher<'_>],
    mode: &FunnelMode,
    (from, to): (i64, i64),
    window: i64,
) -> Option<(u32, Vec<i64>)> {
    let matches =
        |index: u32, step: &Matcher<'_>| step.matches(store, &store.events[index as usize]);
    let time = |index: u32| store.events[index as usize].time_ms;
    let mut best: Option<(u32, Vec<i64>)> = None;
    for (position, &start) in events.iter().enumerate() {
        if !(from..to).contains(&time(start))
            || !matches(start, &steps[0])
            || !judge.admits_event(&store.events[start as usize])
        {
            continue;
        }
        let entered = time(start);
        let mut times = vec![entered];
        if *mode == FunnelMode::Unordered {
            {
                let window = window / DAY_MS * DAY_MS;
                let inside: Vec<u32> = events[position..]
                    .iter()
                    .copied()
                    .take_while(|&index| time(index) <= entered.saturating_add(window))
                    .collect();
                for step in &steps[1..] {
                    match inside.iter().find(|&&index| matches(index, step)) {
                        Some(&index) => times.push(time(index)),
                        None => break,
                    }
                }
            }
        } else {
            {
                let mut cursor = position;
                for step in &steps[1..] {
                    let next = if *mode == FunnelMode::Sequential {
                        events
                            .get(cursor + 1)
                            .filter(|&&index| matches(index, step))
                            .map(|_| cursor + 1)
                    } else {
                        events[cursor + 1..]
                            .iter()
                            .position(|&index| matches(index, step))
                            .map(|offset| cursor + 1 + offset)
                    };
                    match next
                        .filter(|&found| time(events[found]) <= entered.saturating_add(window))
                    {
                        Some(found) => {
                            times.push(time(events[found]));
                            cursor = found;
                        }
                        None => break,
                    }
                }
            }
        }
        if best
            .as_ref()
            .is_none_or(|(_, best)| times.len() > best.len())
        {
            best = Some((start, times));
        }
    }
    best
}

/// Users reaching each step, and the transition times into each step.
#[derive(Debug, Clone)]
struct Tally {
    reached: Vec<u64>,
    transitions: Vec<Vec<i64>>,
}

impl Tally {
    fn new(steps: usize) -> Self {
        Self {
            reached: vec![0; steps],
            transitions: vec![Vec::new(); steps],
        }
    }

    fn add(&mut self, times: &[i64]) {
        for (step, time) in times.iter().enumerate() {
            self.reached[step] += 1;
            let transition = if step == 0 {
                0
            } else {
                (time - times[step - 1]).max(0)
            };
            self.transitions[step].push(transition);
        }
    }

    fn medians(&self) -> Vec<i64> {
        self.transitions
            .iter()
            .map(|values| {
                let mut sorted = values.clone();
                sorted.sort_unstable();
                sorted
                    .get(sorted.len().saturating_sub(1) / 2)
                    .copied()
                    .unwrap_or(0)
            })
            .collect()
    }

    fn averages(&self) -> Vec<i64> {
        self.transitions
            .iter()
            .map(|values| {
                if values.is_empty() {
                    0
                } else {
                    values.iter().sum::<i64>() / i64::try_from(values.len()).unwrap_or(i64::MAX)
                }
            })
            .collect()
    }
}

/// A per-day breakdown: one row per bucket.
fn day_series(buckets: &[Bucket], project: &Project, rows: Vec<Vec<f64>>) -> DaySeries {
    let mut days = DaySeries::default();
    days.series = rows;
    days.x_values = super::labels(buckets);
    days.formatted_x_values = buckets
        .iter()
        .map(|bucket| {
            project
                .calendar
                .day_of(bucket.start_ms)
                .format("%b %-d")
                .to_string()
        })
        .collect();
    days
}

#[allow(
    clippy::cast_precision_loss,
    reason = "counts and times are far below 2^53"
)]
fn floats<T: Copy + Into<i128>>(values: &[T]) -> Vec<f64> {
    values.iter().map(|value| (*value).into() as f64).collect()
}

/// One group's funnel over the whole range and per bucket.
type Group = (String, (Tally, Vec<Tally>));

/// The funnels of one segment, largest first: every group, before the limit.
fn groups_of(
    project: &Project,
    query: &FunnelQuery,
    segment: Option<&Segment>,
    steps: &[Matcher<'_>],
    buckets: &[Bucket],
) -> Vec<Group> {
    let store = &project.store;
    let span = project.calendar.span(query.range);
    let window = i64::try_from(query.conversion_window_secs.unwrap_or(DEFAULT_WINDOW_SECS))
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    let mode = query.mode.clone().unwrap_or(FunnelMode::Ordered);
    let mut groups: HashMap<String, (Tally, Vec<Tally>)> = HashMap::new();
    let judge = Judge::new(project, segment, span.1);
    for (_, user) in judge.users(0..store.users.len()) {
        if query.user_type == Some(FunnelUserType::New)
            && !(span.0..span.1).contains(&user.first_seen_ms)
        {
            continue;
        }
        let Some((entered, times)) =
            best_attempt(store, &judge, &user.events, steps, &mode, span, window)
        else {
            continue;
        };
        let group = group_at(
            store,
            &store.events[entered as usize],
            query.group_by.as_deref(),
        );
        let (total, days) = groups.entry(group).or_insert_with(|| {
            (
                Tally::new(steps.len()),
                vec![Tally::new(steps.len()); buckets.len()],
            )
        });
        total.add(&times);
        if let Some(bucket) = bucket_of(buckets, times[0]) {
            days[bucket].add(&times);
        }
    }
    if groups.is_empty() && query.group_by.is_none() {
        groups.insert(
            String::new(),
            (
                Tally::new(steps.len()),
                vec![Tally::new(steps.len()); buckets.len()],
            ),
        );
    }
    let mut ordered: Vec<Group> = groups.into_iter().collect();
    ordered.sort_by(|a, b| {
        b.1.0.reached[0]
            .cmp(&a.1.0.reached[0])
            .then_with(|| a.0.cmp(&b.0))
    });
    ordered
}

/// Answers it: one funnel per segment, or per group value of the one segment.
pub fn compute(project: &Project, query: &FunnelQuery) -> FunnelResponse {
    let store = &project.store;
    let buckets = project.calendar.buckets(
        query.range,
        query.interval.as_ref().unwrap_or(&Interval::Daily),
    );
    let steps: Vec<Matcher<'_>> = query
        .steps
        .iter()
        .map(|step| Matcher::new(store, step))
        .collect();
    let labels: Vec<String> = query
        .steps
        .iter()
        .map(|step| step.event_type.as_str().to_owned())
        .collect();
    #[allow(clippy::cast_precision_loss, reason = "user counts are far below 2^53")]
    let ratio = |top: u64, bottom: u64| {
        if bottom == 0 {
            0.0
        } else {
            top as f64 / bottom as f64
        }
    };
    let limit = query.limit.unwrap_or(100) as usize;
    let mut response = FunnelResponse::default();
    let mut cut = false;
    for (index, segment) in each_segment(&query.segments).into_iter().enumerate() {
        let mut groups = groups_of(project, query, segment, &steps, &buckets);
        cut |= groups.len() > limit;
        groups.truncate(limit);
        for (group, (total, days)) in groups {
            let entered = total.reached[0];
            let mut meta = FunnelMeta::default();
            meta.segment_index = u32::try_from(index).ok();
            let mut funnel = Funnel::default();
            funnel.meta = Some(meta);
            funnel.events.clone_from(&labels);
            funnel.cumulative = total
                .reached
                .iter()
                .map(|&users| ratio(users, entered))
                .collect();
            funnel.step_by_step = total
                .reached
                .iter()
                .enumerate()
                .map(|(step, &users)| ratio(users, total.reached[step.saturating_sub(1)]))
                .collect();
            funnel.cumulative_raw = floats(&total.reached);
            funnel.median_trans_times = floats(&total.medians());
            funnel.avg_trans_times = floats(&total.averages());
            let per_day = |row: fn(&Tally) -> Vec<f64>| {
                day_series(&buckets, project, days.iter().map(row).collect())
            };
            funnel.day_funnels = Some(per_day(|day| floats(&day.reached)));
            funnel.day_median_trans_times = Some(per_day(|day| floats(&day.medians())));
            funnel.day_avg_trans_times = Some(per_day(|day| floats(&day.averages())));
            if query.group_by.is_some() {
                funnel.group_value = Some(SeriesLabel::Name(group));
            }
            response.data.push(funnel);
        }
    }
    response.metadata = fresh(project, query.cost().total(), cut);
    response
}
