#![doc = include_str!("../README.md")]

mod archive;
mod error;
mod generated;
mod range;
mod spool;

pub use amp_model::export::{
    EXPORT_KEYS, ExportEvent, Hour, HourRange, MAX_EXPORT_DAYS, Properties,
};
pub use archive::{ArchiveError, Batch, Batches, decode};
pub use error::ExportError;
pub use generated::*;
pub use range::{Checkpoint, DEFAULT_WINDOW_HOURS, ExportRange, Exported, WindowDone};
pub use spool::{Spooled, spool};
