use crate::cost::QueryKind;
use crate::dashboard::{Event, Formula, check_range};
use crate::dashboard::{SegmentationQuery, SeriesResponse, check_limit, check_segments_and_groups};
use crate::{Cost, Query, SegmentationMetric, ValidationError, param};

/// The answer of `/api/2/events/segmentation`.
pub type SegmentationResponse = SeriesResponse;

impl Query for SegmentationQuery {
    type Response = SegmentationResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        self.event.validate(param::E)?;
        if let Some(event) = &self.second_event {
            event.validate(param::E2)?;
        }
        match &self.metric {
            Some(
                metric @ (SegmentationMetric::Histogram
                | SegmentationMetric::Sums
                | SegmentationMetric::ValueAvg),
            ) if self.event.group_by.is_empty() => {
                return Err(ValidationError::new(
                    param::M,
                    format!(
                        "`{metric}` is a property metric; add a group_by to `e` naming the property to measure"
                    ),
                ));
            }
            Some(SegmentationMetric::Formula)
                if self.formula.as_deref().is_none_or(|f| f.trim().is_empty()) =>
            {
                return Err(ValidationError::new(
                    param::FORMULA,
                    format!(
                        "`{}=formula` needs a formula, e.g. UNIQUES(A)/UNIQUES(B)",
                        param::M
                    ),
                ));
            }
            Some(SegmentationMetric::Formula) => {
                Formula::parse(self.formula.as_deref().unwrap_or_default())?;
            }
            _ if self.formula.is_some() => {
                return Err(ValidationError::new(
                    param::FORMULA,
                    format!(
                        "a formula is only read with `{}=formula`; set the metric to formula",
                        param::M
                    ),
                ));
            }
            _ => {}
        }
        check_segments_and_groups(&self.segments, &self.group_by)?;
        check_range(self.range, self.interval.as_ref())?;
        check_limit(self.limit)
    }

    fn cost(&self) -> Cost {
        let events = || std::iter::once(&self.event).chain(&self.second_event);
        let kind = QueryKind::EventSegmentation {
            events: events().count(),
            event_group_bys: events().map(|event: &Event| event.group_by.len()).sum(),
        };
        Cost::of(kind, Some(&self.range), &self.segments, self.group_by.len())
    }
}
