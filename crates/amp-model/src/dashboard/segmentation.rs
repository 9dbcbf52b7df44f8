use crate::catalogue::{EndpointSpec, GET_EVENT_SEGMENTATION};
use crate::cost::QueryKind;
use crate::dashboard::{
    DateRange, Event, Segment, SeriesResponse, check_limit, check_property, push_segment,
};
use crate::{
    Cost, Interval, Query, QueryPairs, SegmentationMetric, SegmentationUserType, ValidationError,
};

/// The most request-level group-bys event segmentation takes (`g` and `g2`).
pub const MAX_GROUP_BYS: usize = 2;

/// `GET /api/2/events/segmentation`: a metric of one or two events over time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SegmentationQuery {
    /// The first event, `A` in formulas (`e`).
    pub event: Event,
    /// The second event, `B` in formulas (`e2`).
    pub second_event: Option<Event>,
    /// The metric (`m`); uniques when absent.
    pub metric: Option<SegmentationMetric>,
    /// Any or active users (`n`).
    pub user_type: Option<SegmentationUserType>,
    /// Days included.
    pub range: DateRange,
    /// Bucket size (`i`); daily when absent.
    pub interval: Option<Interval>,
    /// Only users in this segment (`s`).
    pub segment: Option<Segment>,
    /// Up to two group-by properties (`g`, `g2`).
    pub group_by: Vec<String>,
    /// How many group values to return, largest first (at most 1,000; Amplitude's default 100).
    pub limit: Option<u32>,
    /// The formula for `m=formula`, over events `A` and `B`: `UNIQUES(A)/UNIQUES(B)`.
    pub formula: Option<String>,
    /// Rolling window, in intervals.
    pub rolling_window: Option<u32>,
    /// Rolling average, in intervals.
    pub rolling_average: Option<u32>,
}

/// The answer of `/api/2/events/segmentation`.
pub type SegmentationResponse = SeriesResponse;

impl SegmentationQuery {
    /// Daily uniques of `event` over `range`.
    pub fn new(event: Event, range: DateRange) -> Self {
        Self {
            event,
            second_event: None,
            metric: None,
            user_type: None,
            range,
            interval: None,
            segment: None,
            group_by: Vec::new(),
            limit: None,
            formula: None,
            rolling_window: None,
            rolling_average: None,
        }
    }

    fn events(&self) -> impl Iterator<Item = &Event> {
        std::iter::once(&self.event).chain(&self.second_event)
    }
}

impl Query for SegmentationQuery {
    type Response = SegmentationResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_EVENT_SEGMENTATION
    }

    fn validate(&self) -> Result<(), ValidationError> {
        self.event.validate("e")?;
        if let Some(event) = &self.second_event {
            event.validate("e2")?;
        }
        match &self.metric {
            Some(
                metric @ (SegmentationMetric::Histogram
                | SegmentationMetric::Sums
                | SegmentationMetric::ValueAvg),
            ) if self.event.group_by.is_empty() => {
                return Err(ValidationError::new(
                    "m",
                    format!(
                        "`{metric}` is a property metric; add a group_by to `e` naming the property to measure"
                    ),
                ));
            }
            Some(SegmentationMetric::Formula)
                if self.formula.as_deref().is_none_or(|f| f.trim().is_empty()) =>
            {
                return Err(ValidationError::new(
                    "formula",
                    "`m=formula` needs a formula, e.g. UNIQUES(A)/UNIQUES(B)",
                ));
            }
            Some(SegmentationMetric::Formula) => {}
            _ if self.formula.is_some() => {
                return Err(ValidationError::new(
                    "formula",
                    "a formula is only read with `m=formula`; set the metric to formula",
                ));
            }
            _ => {}
        }
        if self.group_by.len() > MAX_GROUP_BYS {
            return Err(ValidationError::new(
                "g",
                format!(
                    "{} group-bys; event segmentation allows at most {MAX_GROUP_BYS} (`g` and `g2`)",
                    self.group_by.len()
                ),
            ));
        }
        for property in &self.group_by {
            check_property("g", Some(property))?;
        }
        self.segment.as_ref().map_or(Ok(()), Segment::validate)?;
        check_limit(self.limit)
    }

    fn query_pairs(&self) -> QueryPairs {
        let mut pairs = QueryPairs::new();
        pairs.push_json("e", &self.event);
        if let Some(event) = &self.second_event {
            pairs.push_json("e2", event);
        }
        pairs.push_opt("m", self.metric.as_ref());
        pairs.push_opt("n", self.user_type.as_ref());
        self.range.push_to(&mut pairs);
        pairs.push_opt("i", self.interval.as_ref());
        push_segment(&mut pairs, self.segment.as_ref());
        // The docs (since 2025-05) name the second group-by `g2`; some third-party clients
        // send a repeated `g` instead.
        let mut group_by = self.group_by.iter();
        pairs.push_opt("g", group_by.next());
        pairs.push_opt("g2", group_by.next());
        pairs.push_opt("limit", self.limit);
        pairs.push_opt("formula", self.formula.as_ref());
        pairs.push_opt("rollingWindow", self.rolling_window);
        pairs.push_opt("rollingAverage", self.rolling_average);
        pairs
    }

    fn cost(&self) -> Cost {
        let kind = QueryKind::EventSegmentation {
            events: self.events().count(),
            event_group_bys: self.events().map(|event| event.group_by.len()).sum(),
        };
        Cost::of(
            kind,
            Some(&self.range),
            self.segment.as_ref(),
            self.group_by.len(),
        )
    }
}
