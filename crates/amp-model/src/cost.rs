//! Amplitude's query cost: `cost = days × conditions × query-type cost`.
//!
//! The formula and its terms are Amplitude's ("Endpoint costs" in the Dashboard REST API docs):
//!
//! - **days**: the days in the query range, both ends included.
//! - **conditions**: the segments, plus the conditions inside them, plus 4 for each group-by
//!   (`g`, `g2`). Conditions are top-level filters: cohort, "where" property and "who performed"
//!   conditions. Event property filters (inside `e`) are not conditions.
//! - **query-type cost**: event segmentation, 1 per event plus 4 per group-by per event; funnels,
//!   2 per step plus 4 per group-by per step; retention 8; the three session endpoints 4; every
//!   other endpoint 1.
//!
//! Cases the docs leave open, and what this model chooses:
//!
//! - A request with no segment counts one segment, "Any users" with no condition: the docs'
//!   worked example counts "Any Users" as 1.
//! - The "4 per group-by per event" of the query-type cost applies to group-bys inside an event
//!   (`e.group_by`); request-level group-bys (`g`, `g2`) count as conditions. This is the only
//!   reading under which the docs' worked example (cost 10 for a one-day segmentation with two
//!   group-bys) holds.
//! - Sub-daily intervals (realtime, hourly) still count whole calendar days of the range: a
//!   one-day hourly query costs as much as a one-day daily one. The docs say nothing, and
//!   counting hours would make a 7-day hourly query cost 168 times a daily one.
//! - Endpoints without a date range (events list, realtime, user activity, user search, saved
//!   charts) count one day. A saved chart's own query is not known before it runs, so its cost
//!   is the minimum; the 429 it may draw teaches the governor the rest.

use crate::dashboard::{DateRange, Segment};

/// A query's cost, kept as its three factors so a caller can show how it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Cost {
    /// Days in the query range.
    pub days: u64,
    /// Segments, their conditions, and 4 per group-by.
    pub conditions: u64,
    /// The query type's own factor.
    pub type_cost: u64,
}

impl Cost {
    /// The cost of an endpoint "not listed", with no range, segment or group-by: 1.
    pub const MINIMUM: Cost = Cost {
        days: 1,
        conditions: 1,
        type_cost: 1,
    };

    /// A cost from its three factors.
    pub const fn new(days: u64, conditions: u64, type_cost: u64) -> Self {
        Self {
            days,
            conditions,
            type_cost,
        }
    }

    /// The cost of a query of `kind` over `range`, with its segments (none: "Any users") and
    /// `group_bys` request-level group-bys.
    pub fn of(
        kind: QueryKind,
        range: Option<&DateRange>,
        segments: &[Segment],
        group_bys: usize,
    ) -> Self {
        Self {
            days: range.map_or(1, DateRange::days),
            conditions: conditions(segments.iter(), group_bys),
            type_cost: kind.type_cost(),
        }
    }

    /// `days × conditions × type_cost`, saturating rather than overflowing.
    pub const fn total(self) -> u64 {
        self.days
            .saturating_mul(self.conditions)
            .saturating_mul(self.type_cost)
    }
}

impl std::fmt::Display for Cost {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} ({} days × {} conditions × {} query-type cost)",
            self.total(),
            self.days,
            self.conditions,
            self.type_cost
        )
    }
}

/// The kinds of query the cost formula tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueryKind {
    /// Event segmentation: 1 per event plus 4 per group-by on each event.
    EventSegmentation {
        /// Events in the query (`e`, `e2`).
        events: usize,
        /// Group-bys inside the events, summed over the events.
        event_group_bys: usize,
    },
    /// Funnels: 2 per step plus 4 per group-by on each step.
    Funnel {
        /// Funnel steps.
        steps: usize,
        /// Group-bys inside the steps, summed over the steps.
        event_group_bys: usize,
    },
    /// Retention: 8.
    Retention,
    /// Session length, average session length, sessions per user: 4.
    Sessions,
    /// Every other endpoint: 1.
    Other,
}

impl QueryKind {
    /// The query type's factor in the cost formula.
    pub fn type_cost(self) -> u64 {
        let widen = |count: usize| u64::try_from(count).unwrap_or(u64::MAX);
        match self {
            Self::EventSegmentation {
                events,
                event_group_bys,
            } => widen(events).saturating_add(widen(event_group_bys).saturating_mul(4)),
            Self::Funnel {
                steps,
                event_group_bys,
            } => widen(steps)
                .saturating_mul(2)
                .saturating_add(widen(event_group_bys).saturating_mul(4)),
            Self::Retention => 8,
            Self::Sessions => 4,
            Self::Other => 1,
        }
    }
}

/// The conditions term: every segment counts 1 plus 1 per condition in it (no segment counts as
/// one empty segment), and every request-level group-by counts 4.
pub fn conditions<'a>(segments: impl Iterator<Item = &'a Segment>, group_bys: usize) -> u64 {
    let mut segment_count = 0_u64;
    let mut inside = 0_u64;
    for segment in segments {
        segment_count += 1;
        inside += u64::try_from(segment.conditions.len()).unwrap_or(u64::MAX);
    }
    segment_count.max(1).saturating_add(inside).saturating_add(
        u64::try_from(group_bys)
            .unwrap_or(u64::MAX)
            .saturating_mul(4),
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::FilterOperator;
    use crate::dashboard::Condition;

    fn range(days: u32) -> DateRange {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        DateRange::new(start, start + chrono::Days::new(u64::from(days) - 1)).unwrap()
    }

    fn english() -> Segment {
        Segment::new(vec![Condition::property(
            "language",
            FilterOperator::Is,
            ["English"],
        )])
    }

    /// Docs' example 1: one segment ("Any Users" = 1) + one condition (language = English)
    /// + two group-bys (4 each) = 10 conditions; one day, one event: cost 10.
    #[test]
    fn documented_segmentation_example_costs_10() {
        let kind = QueryKind::EventSegmentation {
            events: 1,
            event_group_bys: 0,
        };
        let cost = Cost::of(kind, Some(&range(1)), &[english()], 2);
        assert_eq!(cost, Cost::new(1, 10, 1));
        assert_eq!(cost.total(), 10);
    }

    /// Docs' example 2: a 30-day funnel, 10 conditions as above, 3 steps × 2 = 6: cost 1,800.
    #[test]
    fn documented_funnel_example_costs_1800() {
        let kind = QueryKind::Funnel {
            steps: 3,
            event_group_bys: 0,
        };
        let cost = Cost::of(kind, Some(&range(30)), &[english()], 2);
        assert_eq!(cost, Cost::new(30, 10, 6));
        assert_eq!(cost.total(), 1_800);
        assert_eq!(
            cost.to_string(),
            "1800 (30 days × 10 conditions × 6 query-type cost)"
        );
    }

    #[test]
    fn no_segment_counts_as_one_empty_segment() {
        assert_eq!(conditions(std::iter::empty(), 0), 1);
        assert_eq!(conditions(std::iter::once(&Segment::default()), 0), 1);
        assert_eq!(conditions(std::iter::empty(), 1), 5);
    }

    #[test]
    fn group_bys_inside_events_raise_the_query_type_cost() {
        let segmentation = QueryKind::EventSegmentation {
            events: 2,
            event_group_bys: 3,
        };
        assert_eq!(segmentation.type_cost(), 2 + 12);
        let funnel = QueryKind::Funnel {
            steps: 3,
            event_group_bys: 1,
        };
        assert_eq!(funnel.type_cost(), 6 + 4);
        assert_eq!(QueryKind::Retention.type_cost(), 8);
        assert_eq!(QueryKind::Sessions.type_cost(), 4);
        assert_eq!(QueryKind::Other.type_cost(), 1);
    }

    #[test]
    fn no_range_counts_one_day_and_totals_saturate() {
        assert_eq!(Cost::of(QueryKind::Other, None, &[], 0), Cost::MINIMUM);
        assert_eq!(Cost::new(u64::MAX, 2, 2).total(), u64::MAX);
    }
}
