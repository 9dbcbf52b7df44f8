//! The Export API: raw events by the hour they reached Amplitude. The query ([`ExportQuery`],
//! `start` and `end` hours), the hours it is written in ([`Hour`], [`HourRange`]), and the
//! event each line of an export file holds ([`ExportEvent`]). Reading the zip archive is
//! `amp-export`'s job; nothing here does I/O.

mod export_event;
mod hour;
mod properties;

pub use crate::generated::ExportQuery;
pub use export_event::{EXPORT_KEYS, ExportEvent};
pub use hour::{Hour, HourRange, MAX_EXPORT_DAYS};
pub use properties::Properties;

use crate::{Cost, Query, ValidationError};

/// Amplitude's answer for a range without data (with a 404).
pub const NO_DATA_MESSAGE: &str = "Raw data files were not found.";

/// Amplitude's answer for an export above 4 GB (with a 400).
pub const TOO_LARGE_MESSAGE: &str = "The file size of the exported data is too large. Shorten the time ranges and try again. The limit size is 4GB.";

/// An export decoded whole: its events in archive order.
impl Query for ExportQuery {
    type Response = Vec<ExportEvent>;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        self.range.check_span()
    }

    /// Amplitude's cost formula does not cover exports; a request draws one unit, so that it
    /// takes its share of the five concurrent requests all REST endpoints share.
    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}
