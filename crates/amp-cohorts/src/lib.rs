#![doc = include_str!("../README.md")]

mod download;
mod error;
mod file;
mod generated;

pub use amp_model::cohorts::{
    AMPLITUDE_ID, Cohort, CohortFile, CohortJob, CohortList, CohortMember, CohortUploaded,
    JobStatus, MAX_UPLOAD_IDS, Membership, MembershipResult, MembershipsUpdated, USER_ID,
    UploadMetadata,
};
pub use amp_model::{CohortIdType, MembershipIdType, MembershipOperation};
pub use download::{DEFAULT_DEADLINE, DownloadCohort, Members};
pub use error::CohortError;
pub use file::{FileError, Rows, parse};
pub use generated::*;
