#![doc = include_str!("../README.md")]

mod download;
mod error;
mod file;
mod generated;

pub use amp_model::cohorts::{
    AMPLITUDE_ID, Cohort, CohortFile, CohortJob, CohortList, CohortMember, JobStatus, USER_ID,
};
pub use download::{DEFAULT_DEADLINE, DownloadCohort, Members};
pub use error::CohortError;
pub use file::{FileError, Rows, parse};
pub use generated::*;
